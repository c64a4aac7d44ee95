#!/usr/bin/env node
// A proxyless gRPC client that takes its routes and endpoints from MeshDev's ADS server (@grpc/grpc-js-xds, no .NET
// code), for meshdev.test.v1.Echo (tests/MeshDev.GrpcTestService). MeshDev's xDS conformance tests drive it.
//
//   node xds-client.js --xds-port PORT --target xds:///SERVICE [--node-id ID] [--timeout-ms N]
//
// The xDS bootstrap is given in-process (GRPC_XDS_BOOTSTRAP_CONFIG): one xDS server, 127.0.0.1:PORT, insecure,
// server_features ["xds_v3"], node { id: ID, cluster: "meshdev-tests" }.
//
// It prints {"ready":true} once the channel exists, then reads commands from stdin, one per line, and answers each
// with ONE JSON line on stdout:
//   say     Say("hello") on the same channel -> { command, ok, code, codeName, details, text, pid,
//           peer: the address the call went to (the mesh port = through the activator, else the service itself) }
//   quit    closes the channel and exits 0 (so does the end of stdin)
// A call that does not finish within --timeout-ms (default 60000, a hang guard only) ends with DEADLINE_EXCEEDED.
// Proxies from the environment are ignored (grpc.enable_http_proxy = 0).
'use strict';

const path = require('path');
const readline = require('readline');

const PROTO = path.join(__dirname, '..', 'MeshDev.GrpcTestService', 'Protos', 'echo.proto');

function parseArgs(argv) {
  const options = { nodeId: `meshdev-xds-client-${process.pid}`, timeoutMs: 60000 };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    if (arg === '--xds-port' || arg === '--timeout-ms') {
      if (!/^\d+$/.test(value)) throw new Error(`${arg} needs a number`);
      options[arg === '--xds-port' ? 'xdsPort' : 'timeoutMs'] = Number(value);
    } else if (arg === '--target') {
      options.target = value;
    } else if (arg === '--node-id') {
      options.nodeId = value;
    } else {
      throw new Error(`unknown argument '${arg}'`);
    }
    i++;
  }
  if (!options.xdsPort) throw new Error('--xds-port PORT is required');
  if (!options.target || !options.target.startsWith('xds:///')) throw new Error('--target xds:///SERVICE is required');
  return options;
}

function print(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

let options;
try {
  options = parseArgs(process.argv.slice(2));
} catch (error) {
  print({ error: error.message });
  process.exit(2);
}

// Before grpc-js-xds reads it (when the first xds: channel is created).
process.env.GRPC_XDS_BOOTSTRAP_CONFIG = JSON.stringify({
  xds_servers: [{ server_uri: `127.0.0.1:${options.xdsPort}`, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
  node: { id: options.nodeId, cluster: 'meshdev-tests', locality: { region: 'meshdev', zone: 'local' } },
});

const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');
require('@grpc/grpc-js-xds').register();

const codeNames = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));
const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true });
const Echo = grpc.loadPackageDefinition(definition).meshdev.test.v1.Echo;
const client = new Echo(options.target, grpc.credentials.createInsecure(), { 'grpc.enable_http_proxy': 0 });

function say() {
  return new Promise((resolve) => {
    const call = client.Say({ text: 'hello' }, new grpc.Metadata(), { deadline: Date.now() + options.timeoutMs }, (error, reply) => {
      let peer = null;
      try {
        peer = call.getPeer();
      } catch {
        // no peer: the call never reached a connection
      }
      const code = error ? error.code : grpc.status.OK;
      resolve({
        command: 'say',
        ok: !error,
        code,
        codeName: codeNames[code],
        details: error ? error.details : '',
        text: reply?.text ?? null,
        pid: reply?.pid ?? null,
        peer,
      });
    });
  });
}

const COMMANDS = { say };

async function main() {
  print({ ready: true, target: options.target, nodeId: options.nodeId });
  const lines = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    const command = line.trim();
    if (command === '') continue;
    if (command === 'quit') break;
    if (!COMMANDS[command]) {
      print({ command, error: `unknown command '${command}' (expected one of: ${Object.keys(COMMANDS).join(', ')}, quit)` });
      continue;
    }
    try {
      print(await COMMANDS[command]());
    } catch (error) {
      print({ command, ok: false, error: String(error && error.stack ? error.stack : error) });
    }
  }
  client.close();
  process.exit(0);
}

main();
