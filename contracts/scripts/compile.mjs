#!/usr/bin/env node
// Compile every contracts/src/**/*.sol (plus the Pyth SDK's MockPyth) with solc-js standard JSON
// and write one artifact per contract, so the Python side (deployer, tests, services) loads plain
// JSON and never needs node_modules or a compiler at run time (DESIGN.md "Chain").
//
//   node scripts/compile.mjs            -> contracts/artifacts/
//   node scripts/compile.mjs --out DIR  -> DIR/ (used by tests/test_artifacts.py to detect drift)
//   node scripts/compile.mjs --jobs N   -> N solc workers (default: one per CPU, at most 4)
//
// Each source file is its own compilation job (its imports come in through the import callback),
// so a contract's artifact depends only on its own dependency closure: adding or editing an
// unrelated file never changes it, and the jobs can run in parallel worker threads.
//
// Output: <out>/<ContractName>.json = {abi, bytecode, contractName, deployedBytecode, sourceName}
// and <out>/uniswap/<Name>.json copied from the Uniswap V2 and V3 npm builds, <out>/safe/<Name>.json
// from the Safe 1.4.1 npm build and <out>/zodiac/<Name>.json: Zodiac Roles v2 (see ROLES_MASTERCOPY:
// creation code only). Keys are sorted and the
// formatting is fixed so that a recompile of unchanged sources is byte-identical.
// Any compiler error fails the run (exit 1); warnings are counted and summarised.

import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort } from 'node:worker_threads';

const require = createRequire(import.meta.url);
const solc = require('solc');

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NODE_MODULES = path.join(ROOT, 'node_modules');

/** Settings that change bytecode. Changing any of them means recommitting all artifacts. */
const SETTINGS = {
  // Core DAO documents Shanghai as its EVM target; anvil runs later forks and accepts it too.
  evmVersion: 'shanghai',
  optimizer: { enabled: true, runs: 200 },
  outputSelection: {
    '*': { '*': ['abi', 'evm.bytecode.object', 'evm.bytecode.linkReferences', 'evm.deployedBytecode.object'] },
  },
};

/** Sources outside src/ that we compile because their packages ship source only. */
const EXTRA_SOURCES = ['@pythnetwork/pyth-sdk-solidity/MockPyth.sol'];

/** Prebuilt artifacts copied verbatim (abi + bytecode) from the Uniswap V2 and V3 npm packages. */
const UNISWAP = [
  ['UniswapV2Factory', '@uniswap/v2-core/build/UniswapV2Factory.json', '@uniswap/v2-core/contracts/UniswapV2Factory.sol'],
  ['UniswapV2Pair', '@uniswap/v2-core/build/UniswapV2Pair.json', '@uniswap/v2-core/contracts/UniswapV2Pair.sol'],
  ['UniswapV2Router02', '@uniswap/v2-periphery/build/UniswapV2Router02.json', '@uniswap/v2-periphery/contracts/UniswapV2Router02.sol'],
  ['WETH9', '@uniswap/v2-periphery/build/WETH9.json', '@uniswap/v2-periphery/contracts/test/WETH9.sol'],
  // Uniswap V3 (concentrated liquidity): the hardhat artifacts the npm packages publish
  ['UniswapV3Factory', '@uniswap/v3-core/artifacts/contracts/UniswapV3Factory.sol/UniswapV3Factory.json', '@uniswap/v3-core/contracts/UniswapV3Factory.sol'],
  ['UniswapV3Pool', '@uniswap/v3-core/artifacts/contracts/UniswapV3Pool.sol/UniswapV3Pool.json', '@uniswap/v3-core/contracts/UniswapV3Pool.sol'],
  ['NonfungiblePositionManager', '@uniswap/v3-periphery/artifacts/contracts/NonfungiblePositionManager.sol/NonfungiblePositionManager.json', '@uniswap/v3-periphery/contracts/NonfungiblePositionManager.sol'],
  ['SwapRouter', '@uniswap/v3-periphery/artifacts/contracts/SwapRouter.sol/SwapRouter.json', '@uniswap/v3-periphery/contracts/SwapRouter.sol'],
];

/** Prebuilt Safe 1.4.1 artifacts (hardhat builds in @safe-global/safe-contracts), copied like Uniswap's. */
const SAFE_BUILD = '@safe-global/safe-contracts/build/artifacts/contracts';
const SAFE = [
  ['SafeL2', `${SAFE_BUILD}/SafeL2.sol/SafeL2.json`, '@safe-global/safe-contracts/contracts/SafeL2.sol'],
  ['SafeProxyFactory', `${SAFE_BUILD}/proxies/SafeProxyFactory.sol/SafeProxyFactory.json`, '@safe-global/safe-contracts/contracts/proxies/SafeProxyFactory.sol'],
  ['CompatibilityFallbackHandler', `${SAFE_BUILD}/handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json`, '@safe-global/safe-contracts/contracts/handler/CompatibilityFallbackHandler.sol'],
  ['MultiSendCallOnly', `${SAFE_BUILD}/libraries/MultiSendCallOnly.sol/MultiSendCallOnly.json`, '@safe-global/safe-contracts/contracts/libraries/MultiSendCallOnly.sol'],
];

/**
 * Zodiac Roles v2. No npm package ships its sources or hardhat artifacts. @gnosis.pm/zodiac ships the
 * audited mastercopy's creation code (solc 0.8.21, initData/RolesV2: its constructor arguments
 * (1, 1, 1) appended, taken off here) and ABI; that code calls its Integrity and Packer libraries
 * at the fixed addresses it was linked to. zodiac-roles-sdk ships those libraries' builds as
 * typechain factories. (The SDK's own Roles build is over the 24 KiB code size limit.)
 */
const ROLES_MASTERCOPY = '@gnosis.pm/zodiac/dist/cjs/initData/RolesV2.js';
const ROLES_ABI = '@gnosis.pm/zodiac/dist/cjs/abi/RolesV2.json';
const ROLES_LIBRARIES = [
  ['Integrity', 'zodiac-roles-sdk/typechain#contracts/Integrity.sol'],
  ['Packer', 'zodiac-roles-sdk/typechain#contracts/packers/Packer.sol'],
  // not a library: the adapter Roles unwraps a MultiSendCallOnly batch with (each call checked)
  ['MultiSendUnwrapper', 'zodiac-roles-sdk/typechain#contracts/periphery/MultiSendUnwrapper.sol'],
];

/** The Roles mastercopy's creation code without the constructor arguments it was published with. */
function rolesCreationCode() {
  const text = fs.readFileSync(path.join(NODE_MODULES, ROLES_MASTERCOPY), 'utf8');
  const found = /exports\.initCode = "(0x[0-9a-fA-F]+)"/.exec(text);
  if (!found) throw new Error(`${ROLES_MASTERCOPY}: no initCode`);
  const initCode = found[1].toLowerCase();
  const args = '0'.repeat(63) + '1';
  if (!initCode.endsWith(args.repeat(3))) throw new Error(`${ROLES_MASTERCOPY}: unexpected constructor arguments`);
  return initCode.slice(0, -args.length * 3);
}

function parseArgs(argv) {
  let out = path.join(ROOT, 'artifacts');
  let jobs = Math.max(1, Math.min(4, os.availableParallelism ? os.availableParallelism() : os.cpus().length));
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--jobs') {
      jobs = Number.parseInt(argv[++i], 10);
      if (!(jobs >= 1)) throw new Error('--jobs needs a positive integer');
    } else if (argv[i] === '--out') {
      if (!argv[i + 1]) throw new Error('--out needs a directory');
      out = path.resolve(argv[++i]);
    } else if (argv[i].startsWith('--out=')) {
      out = path.resolve(argv[i].slice('--out='.length));
    } else {
      throw new Error(`unknown argument ${argv[i]} (usage: compile.mjs [--out DIR] [--jobs N])`);
    }
  }
  return { out, jobs };
}

/** All .sol files under src/, as POSIX paths relative to contracts/, sorted. */
function findSources(dir) {
  const found = [];
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith('.sol')) {
        found.push(path.relative(ROOT, full).split(path.sep).join('/'));
      }
    }
  };
  walk(dir);
  return found.sort();
}

/** solc import callback: project paths from contracts/, package paths from node_modules/. */
function findImport(sourceName) {
  for (const base of [ROOT, NODE_MODULES]) {
    const candidate = path.join(base, sourceName);
    if (candidate.startsWith(base + path.sep) && fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: `import not found: ${sourceName} (looked in contracts/ and contracts/node_modules/)` };
}

/** Recursively sort object keys so JSON.stringify is stable regardless of solc's key order. */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys(value[k])]));
  }
  return value;
}

function writeJson(file, obj) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(sortKeys(obj), null, 2) + '\n');
}

const hex = (s) => (s ? (s.startsWith('0x') ? s : `0x${s}`) : '0x');

/** Remove artifacts this script wrote earlier, so a deleted contract does not linger. */
function removeStale(out) {
  for (const dir of [out, ...['uniswap', 'safe', 'zodiac'].map((d) => path.join(out, d))]) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      const file = path.join(dir, name);
      try {
        const data = JSON.parse(fs.readFileSync(file, 'utf8'));
        if (data && typeof data === 'object' && 'contractName' in data && 'abi' in data) fs.unlinkSync(file);
      } catch {
        // not ours: leave it alone
      }
    }
  }
}

/** The standard-JSON input that compiles one source file (dependencies via the import callback). */
function jobInput(sourceName) {
  const found = findImport(sourceName);
  if (found.error) throw new Error(found.error);
  return {
    language: 'Solidity',
    sources: { [sourceName]: { content: found.contents } },
    settings: { ...SETTINGS, outputSelection: { [sourceName]: SETTINGS.outputSelection['*'] } },
  };
}

const compileJob = (sourceName) =>
  JSON.parse(solc.compile(JSON.stringify(jobInput(sourceName)), { import: findImport }));

/** Compile every source, `jobs` at a time in worker threads; outputs keyed by source name. */
async function compileAll(sourceNames, jobs) {
  const outputs = new Map();
  const workers = Math.min(jobs, sourceNames.length);
  if (workers <= 1) {
    for (const name of sourceNames) outputs.set(name, compileJob(name));
    return outputs;
  }
  const queue = [...sourceNames];
  await Promise.all(
    Array.from({ length: workers }, () => new Promise((resolve, reject) => {
      const worker = new Worker(new URL(import.meta.url));
      const next = () => {
        const name = queue.shift();
        if (name === undefined) {
          worker.terminate().then(() => resolve());
          return;
        }
        worker.postMessage(name);
      };
      worker.on('message', ({ name, output, error }) => {
        if (error) {
          worker.terminate();
          reject(new Error(error));
          return;
        }
        outputs.set(name, JSON.parse(output));
        next();
      });
      worker.on('error', reject);
      next();
    })),
  );
  return outputs;
}

/** Fail on any error; print each distinct warning once (shared imports warn in every job). */
function checkDiagnostics(outputs) {
  const errors = new Map();
  const warnings = new Map();
  for (const name of [...outputs.keys()].sort()) {
    for (const e of outputs.get(name).errors || []) {
      const text = e.formattedMessage || e.message;
      (e.severity === 'error' ? errors : warnings).set(text, e);
    }
  }
  for (const text of warnings.keys()) process.stderr.write(`warning: ${text}\n`);
  if (errors.size) {
    for (const text of errors.keys()) process.stderr.write(`ERROR: ${text}\n`);
    throw new Error(`solc ${solc.version()}: ${errors.size} error(s)`);
  }
  return warnings.size;
}

async function main() {
  const { out, jobs } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const ownSources = findSources(path.join(ROOT, 'src'));
  const targets = [...ownSources, ...EXTRA_SOURCES];
  const outputs = await compileAll(targets, jobs);
  const warnings = checkDiagnostics(outputs);

  const artifacts = new Map();
  for (const sourceName of [...targets].sort()) {
    const contracts = outputs.get(sourceName).contracts?.[sourceName] || {};
    for (const [contractName, c] of Object.entries(contracts)) {
      const previous = artifacts.get(contractName);
      if (previous) {
        throw new Error(`duplicate contract name ${contractName} in ${previous.sourceName} and ${sourceName}`);
      }
      const links = c.evm?.bytecode?.linkReferences || {};
      if (Object.keys(links).length) {
        throw new Error(`${contractName} needs linked libraries (${Object.keys(links)}); use internal library functions`);
      }
      artifacts.set(contractName, {
        abi: c.abi,
        bytecode: hex(c.evm?.bytecode?.object),
        contractName,
        deployedBytecode: hex(c.evm?.deployedBytecode?.object),
        sourceName,
      });
    }
  }

  fs.mkdirSync(out, { recursive: true });
  removeStale(out);
  for (const [name, artifact] of artifacts) writeJson(path.join(out, `${name}.json`), artifact);

  for (const [dir, list] of [['uniswap', UNISWAP], ['safe', SAFE]]) {
    for (const [name, buildPath, sourceName] of list) {
      const build = JSON.parse(fs.readFileSync(path.join(NODE_MODULES, buildPath), 'utf8'));
      writeJson(path.join(out, dir, `${name}.json`), {
        abi: build.abi,
        bytecode: hex(build.evm?.bytecode?.object || build.bytecode),
        contractName: name,
        deployedBytecode: hex(build.evm?.deployedBytecode?.object || build.deployedBytecode),
        sourceName,
      });
    }
  }
  writeJson(path.join(out, 'zodiac', 'Roles.json'), {
    abi: JSON.parse(fs.readFileSync(path.join(NODE_MODULES, ROLES_ABI), 'utf8')),
    bytecode: rolesCreationCode(),
    contractName: 'Roles',
    deployedBytecode: '0x',
    sourceName: ROLES_MASTERCOPY,
  });
  const typechain = require('zodiac-roles-sdk/typechain');
  for (const [name, sourceName] of ROLES_LIBRARIES) {
    const factory = typechain[`${name}__factory`];
    writeJson(path.join(out, 'zodiac', `${name}.json`), {
      abi: factory.abi,
      bytecode: hex(factory.bytecode),
      contractName: name,
      deployedBytecode: '0x',
      sourceName,
    });
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `solc ${solc.version()}: ${artifacts.size} contracts from ${ownSources.length} sources ` +
      `(+${EXTRA_SOURCES.length} SDK), ${UNISWAP.length} Uniswap artifacts, ` +
      `${SAFE.length} Safe and ${ROLES_LIBRARIES.length + 1} Zodiac artifacts, ${warnings} warning(s), ${jobs} job(s), ${seconds}s -> ${path.relative(process.cwd(), out) || '.'}`,
  );
}

if (isMainThread) {
  main().catch((err) => {
    process.stderr.write(`compile failed: ${err.message}\n`);
    process.exit(1);
  });
} else {
  // Worker: compile the source names it is sent, one at a time.
  parentPort.on('message', (name) => {
    try {
      parentPort.postMessage({ name, output: JSON.stringify(compileJob(name)) });
    } catch (err) {
      parentPort.postMessage({ name, error: `${name}: ${err.message}` });
    }
  });
}
