#!/usr/bin/env node
// placeholder entry replaced below
