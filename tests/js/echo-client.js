#!/usr/bin/env node
// An independent gRPC client (@grpc/grpc-js, not .NET) for meshdev.test.v1.Echo (tests/MeshDev.GrpcTestService).
// MeshDev's integration tests run it against a mesh port or the shared port and read what it prints.
//
//   node echo-client.js --target 127.0.0.1:PORT --scenario NAME [options]
//
// It prints ONE JSON line on stdout and exits 0, also when the call ends in a gRPC error: the line carries
//   { scenario, target, ok, code, codeName, details, metadata: {response headers}, trailers: {...}, ...results }
// Exit 2: bad arguments; exit 3: the scenario did not finish within --timeout-ms (the line then has "error").
//
// Scenarios:
//   unary            Say("hello") with request metadata x-test: hello-metadata
//                    -> text, pid, peer, headerXTest (response header x-test), trailerXTrailer (trailer x-trailer)
//   large            Say with a --payload-bytes (default 5 MiB) text, asking for a reply payload of the same size;
//                    max send/receive message length 16 MiB -> textLength, payloadLength, payloadIntact
//   server-stream    Count(count 5, interval 10 ms) -> values [1..5]
//   client-stream    Sum(1..10) -> sum, count
//   bidi             Chat: sends "one", "two", "three", each after the previous one's echo came back -> echoes
//   deadline         Say("hello") with a deadline of --deadline-ms (default 500) -> code (4 DEADLINE_EXCEEDED expected)
//   cancel           Hang(); once the backend reports the call as hanging (polled through CancelledCount on the same
//                    channel), waits --cancel-after-ms (default 100) and cancels it -> code (1 CANCELLED expected),
//                    hangingBeforeCancel
//   cancelled-count  CancelledCount() -> cancelled (Hang calls that saw their cancellation), hanging
//   unknown-service  /meshdev.test.v1.Nope/Say (raw bytes, no proto) -> code, details
//   status           Say("fail") -> code, details (3 INVALID_ARGUMENT "asked to fail" expected)
//
// Options: --deadline-ms N, --cancel-after-ms N, --payload-bytes N, --timeout-ms N (default 60000: a hang guard only).
// Proxies from the environment are ignored (grpc.enable_http_proxy = 0): the target is dialled directly.
'use strict';

const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', 'MeshDev.GrpcTestService', 'Protos', 'echo.proto');
const MiB = 1024 * 1024;

const SCENARIOS = {
  unary,
  large,
  'server-stream': serverStream,
  'client-stream': clientStream,
  bidi,
  deadline,
  cancel,
  'cancelled-count': cancelledCount,
  'unknown-service': unknownService,
  status,
};

function parseArgs(argv) {
  const options = { deadlineMs: 500, cancelAfterMs: 100, payloadBytes: 5 * MiB, timeoutMs: 60000 };
  const numbers = {
    '--deadline-ms': 'deadlineMs',
    '--cancel-after-ms': 'cancelAfterMs',
    '--payload-bytes': 'payloadBytes',
    '--timeout-ms': 'timeoutMs',
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--target' || arg === '--scenario') {
      if (value === undefined) throw new Error(`${arg} needs a value`);
      options[arg.slice(2)] = value;
      i++;
    } else if (numbers[arg]) {
      if (value === undefined || !/^\d+$/.test(value)) throw new Error(`${arg} needs a non-negative number`);
      options[numbers[arg]] = Number(value);
      i++;
    } else {
      throw new Error(`unknown argument '${arg}'`);
    }
  }
  if (!options.target) throw new Error('--target HOST:PORT is required');
  if (!SCENARIOS[options.scenario]) {
    throw new Error(`--scenario must be one of: ${Object.keys(SCENARIOS).join(', ')}`);
  }
  return options;
}

const codeNames = Object.fromEntries(Object.entries(grpc.status).map(([name, code]) => [code, name]));

/** Metadata as a plain object: each key -> its value, or an array when repeated; binary values as base64. */
function metadataObject(metadata) {
  const result = {};
  if (!metadata) return result;
  for (const [key, values] of Object.entries(metadata.toJSON())) {
    const texts = values.map((v) => (Buffer.isBuffer(v) ? v.toString('base64') : String(v)));
    result[key] = texts.length === 1 ? texts[0] : texts;
  }
  return result;
}

/**
 * Follows a call to its end: resolves with { code, details, metadata, trailers } once the 'status' event came,
 * collecting the response headers ('metadata' event) on the way.
 */
function follow(call) {
  let headers = null;
  call.on('metadata', (metadata) => {
    headers = metadata;
  });
  return new Promise((resolve) => {
    call.on('status', (s) => {
      resolve({
        code: s.code,
        codeName: codeNames[s.code],
        details: s.details,
        metadata: metadataObject(headers),
        trailers: metadataObject(s.metadata),
      });
    });
  });
}

/** A unary call: resolves with the status (see follow) plus reply (null on error) once both callback and status came. */
function unaryCall(start) {
  let reply = null;
  let call;
  const answered = new Promise((resolve) => {
    call = start((error, value) => {
      reply = error ? null : value;
      resolve();
    });
  });
  const ended = follow(call);
  return Promise.all([answered, ended]).then(([, end]) => ({ ...end, reply, call }));
}

function newClient(options) {
  const definition = protoLoader.loadSync(PROTO, { keepCase: false, longs: Number, enums: String, defaults: true });
  const Echo = grpc.loadPackageDefinition(definition).meshdev.test.v1.Echo;
  return new Echo(options.target, grpc.credentials.createInsecure(), {
    'grpc.enable_http_proxy': 0,
    'grpc.max_receive_message_length': 16 * MiB,
    'grpc.max_send_message_length': 16 * MiB,
  });
}

function endOf(result) {
  const { call, reply, ...rest } = result;
  return { ok: rest.code === grpc.status.OK, ...rest };
}

async function unary(client) {
  const metadata = new grpc.Metadata();
  metadata.set('x-test', 'hello-metadata');
  const result = await unaryCall((cb) => client.Say({ text: 'hello' }, metadata, cb));
  const reply = result.reply;
  return {
    ...endOf(result),
    text: reply?.text ?? null,
    pid: reply?.pid ?? null,
    peer: reply?.peer ?? null,
    headerXTest: result.metadata['x-test'] ?? null,
    trailerXTrailer: result.trailers['x-trailer'] ?? null,
  };
}

async function large(client, options) {
  const text = 'x'.repeat(options.payloadBytes);
  const result = await unaryCall((cb) => client.Say({ text, payloadBytes: options.payloadBytes }, cb));
  const payload = result.reply?.payload;
  let intact = payload != null && payload.length === options.payloadBytes;
  for (let i = 0; intact && i < payload.length; i++) {
    if (payload[i] !== i % 251) intact = false;
  }
  return {
    ...endOf(result),
    textLength: result.reply?.text?.length ?? null,
    textIntact: result.reply ? result.reply.text === text : false,
    payloadLength: payload?.length ?? null,
    payloadIntact: intact,
  };
}

async function serverStream(client) {
  const call = client.Count({ count: 5, intervalMs: 10 });
  const values = [];
  call.on('data', (reply) => values.push(reply.n));
  call.on('error', () => {}); // reported through 'status'
  const end = await follow(call);
  return { ok: end.code === grpc.status.OK, ...end, values };
}

async function clientStream(client) {
  const result = await unaryCall((cb) => {
    const call = client.Sum(cb);
    for (let value = 1; value <= 10; value++) call.write({ value });
    call.end();
    return call;
  });
  return { ...endOf(result), sum: result.reply?.sum ?? null, count: result.reply?.count ?? null };
}

async function bidi(client) {
  const call = client.Chat();
  const echoes = [];
  const ended = follow(call);
  call.on('error', () => {}); // reported through 'status'
  const queue = [];
  let waiting = null;
  call.on('data', (message) => {
    echoes.push(message.text);
    if (waiting) {
      const w = waiting;
      waiting = null;
      w();
    } else {
      queue.push(message);
    }
  });
  let failed = false;
  ended.then(() => {
    failed = true;
    if (waiting) waiting();
  });
  // Ping-pong: a proxy that held the request stream back until it ended would never deliver an echo here.
  for (const text of ['one', 'two', 'three']) {
    if (failed) break;
    call.write({ text });
    if (queue.length === 0) {
      await new Promise((resolve) => {
        waiting = resolve;
      });
    }
    queue.shift();
  }
  call.end();
  const end = await ended;
  return { ok: end.code === grpc.status.OK, ...end, echoes };
}

async function deadline(client, options) {
  // Connect first (an HTTP/2 connection to the mesh port launches nothing): the deadline must run out while the
  // call waits for the launch, not while a slow machine is still starting Node or dialling.
  await new Promise((resolve, reject) =>
    client.waitForReady(Date.now() + options.timeoutMs, (error) => (error ? reject(error) : resolve())));
  const result = await unaryCall((cb) =>
    client.Say({ text: 'hello' }, new grpc.Metadata(), { deadline: Date.now() + options.deadlineMs }, cb));
  return { ...endOf(result), deadlineMs: options.deadlineMs };
}

function counts(client) {
  return new Promise((resolve, reject) => {
    client.CancelledCount({}, (error, reply) => (error ? reject(error) : resolve(reply)));
  });
}

async function cancel(client, options) {
  const hang = client.Hang({}, () => {});
  const ended = follow(hang);
  let finished = false;
  ended.then(() => {
    finished = true;
  });
  // Wait until the backend holds the call (on a cold service the call first waits for the launch), so that the
  // cancellation has something to reach; then cancel.
  let hangingBeforeCancel = false;
  while (!finished) {
    let reply;
    try {
      reply = await counts(client);
    } catch (error) {
      return { ok: false, code: error.code, codeName: codeNames[error.code], details: error.details,
        metadata: {}, trailers: metadataObject(error.metadata), error: `CancelledCount failed: ${error.message}` };
    }
    if (reply.hanging > 0) {
      hangingBeforeCancel = true;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (!finished) {
    await new Promise((resolve) => setTimeout(resolve, options.cancelAfterMs));
    hang.cancel();
  }
  const end = await ended;
  return { ok: end.code === grpc.status.CANCELLED, ...end, hangingBeforeCancel };
}

async function cancelledCount(client) {
  const result = await unaryCall((cb) => client.CancelledCount({}, cb));
  return { ...endOf(result), cancelled: result.reply?.n ?? null, hanging: result.reply?.hanging ?? null };
}

async function unknownService(client) {
  const result = await unaryCall((cb) =>
    client.makeUnaryRequest('/meshdev.test.v1.Nope/Say', (b) => b, (b) => b, Buffer.alloc(0), cb));
  return endOf(result);
}

async function status(client) {
  const result = await unaryCall((cb) => client.Say({ text: 'fail' }, cb));
  return endOf(result);
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stdout.write(`${JSON.stringify({ error: error.message })}\n`);
    process.exit(2);
  }

  const guard = setTimeout(() => {
    process.stdout.write(`${JSON.stringify({ scenario: options.scenario, target: options.target, ok: false,
      error: `timeout: the scenario did not finish within ${options.timeoutMs} ms` })}\n`);
    process.exit(3);
  }, options.timeoutMs);

  const client = newClient(options);
  let result;
  try {
    result = await SCENARIOS[options.scenario](client, options);
  } catch (error) {
    result = { ok: false, error: String(error && error.stack ? error.stack : error) };
  }
  clearTimeout(guard);
  client.close();
  process.stdout.write(`${JSON.stringify({ scenario: options.scenario, target: options.target, ...result })}\n`);
  process.exit(0);
}

main();
