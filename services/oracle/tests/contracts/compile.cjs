// Compile MockSwitchboard.sol with the repo's solc-js: node compile.cjs (writes the artifact).
const fs = require('fs');
const path = require('path');
const solc = require(path.join(__dirname, '../../../../contracts/node_modules/solc'));
const source = fs.readFileSync(path.join(__dirname, 'MockSwitchboard.sol'), 'utf8');
const input = {
  language: 'Solidity',
  sources: { 'MockSwitchboard.sol': { content: source } },
  settings: { evmVersion: 'shanghai', optimizer: { enabled: true, runs: 200 },
    outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
};
const out = JSON.parse(solc.compile(JSON.stringify(input)));
for (const e of out.errors || []) if (e.severity === 'error') { console.error(e.formattedMessage); process.exit(1); }
const c = out.contracts['MockSwitchboard.sol'].MockSwitchboard;
fs.writeFileSync(path.join(__dirname, 'MockSwitchboard.json'),
  JSON.stringify({ abi: c.abi, bytecode: '0x' + c.evm.bytecode.object }, null, 1) + '\n');
