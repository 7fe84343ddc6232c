/// <reference types="@webgpu/types" />
/**
 * Getting a GPUDevice: the caller's own (never destroyed by us), else `navigator.gpu` in
 * a browser, else the `webgpu` package (Dawn) in Node, imported dynamically so that
 * browser bundles do not pull it in.
 *
 * Node without a GPU: Dawn finds SwiftShader (a CPU Vulkan driver, shipped with Debian's
 * chromium) when VK_ICD_FILENAMES points at its ICD file. When VK_ICD_FILENAMES is unset
 * and that file exists, it is used outright if no other Vulkan ICD is installed, and
 * otherwise as a fallback when the installed drivers offer no adapter (Mesa's lavapipe
 * and drivers without their hardware do not). A machine with a working GPU driver is
 * never steered to SwiftShader.
 */
import { BackendError } from '../../errors.js';

/** Debian chromium's SwiftShader Vulkan ICD. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const ICD_DIRS = ['/usr/share/vulkan/icd.d', '/etc/vulkan/icd.d'];

/**
 * The Node package's GPU instances, kept for the life of the process: Dawn's event loop
 * keeps polling an instance after its JS object is unreachable, so letting one be
 * garbage-collected crashes the process at a later mapAsync (seen with webgpu 0.6.2).
 */
const nodeInstances: GPU[] = [];

export interface AcquiredDevice {
  device: GPUDevice;
  /** The adapter (from GPUDevice.adapterInfo for a caller's device, empty where that is missing). */
  adapterInfo: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean };
  /** True when we created the device, so disposing the backend destroys it. */
  owned: boolean;
}

/** The limits requested from the adapter: its own maxima, not WebGPU's defaults. */
const LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupsPerDimension',
] as const;

/** Whether `v` looks like a GPUDevice (duck-typed: Node's Dawn objects are not instances of a global class). */
export function isGpuDevice(v: unknown): v is GPUDevice {
  return typeof v === 'object' && v !== null
    && typeof (v as GPUDevice).createBuffer === 'function'
    && typeof (v as GPUDevice).createComputePipeline === 'function'
    && typeof (v as GPUDevice).queue === 'object';
}

function infoOf(i: GPUAdapterInfo | undefined, fallback = false): AcquiredDevice['adapterInfo'] {
  return {
    vendor: i?.vendor ?? '',
    architecture: i?.architecture ?? '',
    device: i?.device ?? '',
    description: i?.description ?? '',
    isFallbackAdapter: (i as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true || fallback,
  };
}

async function deviceFrom(gpu: GPU, where: string): Promise<AcquiredDevice> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new BackendError(`no WebGPU adapter: ${where} offered none`);
  return openDevice(adapter);
}

async function openDevice(adapter: GPUAdapter): Promise<AcquiredDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS) requiredLimits[name] = adapter.limits[name];
  try {
    const device = await adapter.requestDevice({ requiredLimits });
    const fallback = (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
    return { device, adapterInfo: infoOf(adapter.info, fallback), owned: true };
  } catch (e) {
    throw new BackendError(`the WebGPU adapter refused a device: ${(e as Error)?.message ?? e}`, e);
  }
}

/** Node: what to do about VK_ICD_FILENAMES. 'now': point it at SwiftShader first; 'fallback': only if no adapter. */
async function swiftShaderPlan(): Promise<'now' | 'fallback' | 'never'> {
  if (process.env.VK_ICD_FILENAMES !== undefined) return 'never';
  const fs = await import('node:fs');
  if (!fs.existsSync(SWIFTSHADER_ICD)) return 'never';
  const others = ICD_DIRS.some((d) => {
    try {
      return fs.readdirSync(d).some((f) => f.endsWith('.json'));
    } catch {
      return false;
    }
  });
  return others ? 'fallback' : 'now';
}

async function nodeDevice(): Promise<AcquiredDevice> {
  let mod: typeof import('webgpu');
  try {
    // A variable specifier keeps bundlers from resolving (and inlining) the Node package.
    const name = 'webgpu';
    mod = (await import(/* @vite-ignore */ name)) as typeof import('webgpu');
  } catch (e) {
    throw new BackendError("no WebGPU: not in a browser, and the optional 'webgpu' package (Dawn for Node) is not installed", e);
  }
  const g = globalThis as Record<string, unknown>;
  for (const [k, v] of Object.entries(mod.globals as Record<string, unknown>)) if (!(k in g)) g[k] = v;

  const instance = (): GPU => {
    const gpu = mod.create([]);
    nodeInstances.push(gpu);
    return gpu;
  };
  const plan = await swiftShaderPlan();
  if (plan === 'now') process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const adapter = await instance().requestAdapter({ powerPreference: 'high-performance' });
  if (adapter) return openDevice(adapter);
  if (plan === 'fallback') {
    process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
    return deviceFrom(instance(), `the webgpu package, with the system Vulkan drivers and with SwiftShader (${SWIFTSHADER_ICD}),`);
  }
  const why = plan === 'now' ? `with SwiftShader (${SWIFTSHADER_ICD})` : process.env.VK_ICD_FILENAMES !== undefined
    ? `with VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES}` : `and no SwiftShader ICD at ${SWIFTSHADER_ICD}`;
  throw new BackendError(`no WebGPU adapter: the webgpu package (Dawn) found no Vulkan device ${why}`);
}

/**
 * A GPUDevice to run on: `option` when given (owned: false), else a new device from
 * navigator.gpu or the Node `webgpu` package, with the adapter's own limits.
 * @throws BackendError naming why when no adapter or device can be had
 */
export async function acquireDevice(option?: GPUDevice): Promise<AcquiredDevice> {
  if (option !== undefined) {
    if (!isGpuDevice(option)) throw new BackendError('the backend option is not a GPUDevice');
    // GPUDevice.adapterInfo is recent (Chrome 132); without it the adapter is taken for a GPU
    const info = (option as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
    return { device: option, adapterInfo: infoOf(info), owned: false };
  }
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return deviceFrom(nav.gpu, 'navigator.gpu');
  if (typeof process !== 'undefined' && process.versions?.node) return nodeDevice();
  throw new BackendError('no WebGPU: navigator.gpu is missing (a browser without WebGPU, or a page that is not a secure context)');
}
