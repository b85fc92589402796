import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '@reelay/logger';
import { waitFor } from '@reelay/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness.ts';

// Requests Node's HTTP parser refuses, and connections that end mid-body: the answer (when there is
// anyone to answer) is OpenAI-shaped JSON naming the problem, and the log calls them the client's.

let api: TestApi;
const lines: Array<{ level: number; msg: string }> = [];
beforeAll(async () => {
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  api = await startTestApi({}, { logger: createLogger({ service: 'api', level: 'debug', destination }) });
});
afterAll(async () => {
  await api?.close();
});

/** Sends `head` (and `body`) as they are on a raw connection and reads until the server closes it. */
function raw(head: string, body = ''): Promise<{ status: number; headers: string; body: string }> {
  const { hostname, port } = new URL(api.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(`${head}\r\n\r\n${body}`));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => {
      const [headers = '', ...rest] = text.split('\r\n\r\n');
      resolve({ status: Number(headers.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

describe('requests the HTTP parser refuses', () => {
  const host = 'Host: 127.0.0.1';
  it.each([
    ['an unknown method', `FOO /v1/videos HTTP/1.1\r\n${host}`, 400, 'Unknown HTTP method'],
    [
      'headers over 16 KiB',
      `GET /v1/videos HTTP/1.1\r\n${host}\r\nX-Pad: ${'a'.repeat(20_000)}`,
      431,
      '16 KiB',
    ],
    ['a URL over 16 KiB', `GET /v1/videos/${'a'.repeat(20_000)} HTTP/1.1\r\n${host}`, 431, '16 KiB'],
    [
      'a control character in a header',
      `GET /v1/videos HTTP/1.1\r\n${host}\r\nAuthorization: Bearer a\x01b`,
      400,
      'character',
    ],
    [
      'Content-Length with Transfer-Encoding',
      `POST /v1/videos HTTP/1.1\r\n${host}\r\nContent-Length: 2\r\nTransfer-Encoding: chunked`,
      400,
      'never together with Content-Length',
    ],
    [
      'a bad chunk size',
      `POST /v1/videos HTTP/1.1\r\n${host}\r\nTransfer-Encoding: chunked`,
      400,
      'chunk size',
    ],
  ])('answers %s in the API error shape', async (_name, head, status, words) => {
    const answer = await raw(head, head.includes('chunked') ? 'zz\r\n{}\r\n0\r\n\r\n' : '');
    expect(answer.status, answer.headers).toBe(status);
    expect(answer.headers.toLowerCase()).toContain('content-type: application/json');
    const { error } = JSON.parse(answer.body) as { error: { message: string; type: string; code: string } };
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_request' });
    expect(error.message).toContain(words);
  });
});

describe('a connection that ends mid-body', () => {
  it('is logged as the client closing it, not as a server error', async () => {
    const key = await api.key('aborts');
    const { hostname, port } = new URL(api.url);
    const socket = connect(Number(port), hostname);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    socket.write(
      'POST /v1/videos HTTP/1.1\r\nHost: 127.0.0.1\r\n' +
        `Authorization: Bearer ${key}\r\nContent-Type: multipart/form-data; boundary=xyz\r\n` +
        'Content-Length: 100000\r\n\r\n--xyz\r\nContent-Disposition: form-data; name="input_reference"; ' +
        'filename="a.png"\r\nContent-Type: image/png\r\n\r\n' +
        'x'.repeat(1000),
    );
    // Let the api start reading the upload, then go away.
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await waitFor(() => lines.some((line) => line.msg.includes('closed the connection')), {
      what: 'the abort to be logged',
    });
    const line = lines.find((l) => l.msg.includes('closed the connection'))!;
    expect(line.level).toBe(30);
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);
  });
});
