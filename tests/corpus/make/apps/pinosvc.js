// A small quote service that logs with pino (JSON lines, numeric levels: 30 info, 40 warn,
// 50 error) and one "request completed" line per request with its responseTime in ms,
// the shape pino-http writes.
'use strict';
const http = require('http');
const pino = require('pino');

const port = Number(process.argv[2]);
const mode = process.env.APP_MODE || 'good';
const version = process.env.APP_VERSION || '4.2.0';
const brokenPercent = Number(process.env.BROKEN_PERCENT || '30');
const log = pino({ base: { pid: process.pid, hostname: process.env.POD_NAME || 'quotes' } });

let reqId = 0;
const memo = [];

function delayFor(url) {
  // the pricing backend call: ~40 ms normally, ~850 ms in the canary that lost its cache
  const base = mode === 'slow' ? 820 : 35;
  return base + Math.floor(Math.random() * (mode === 'slow' ? 80 : 12));
}

function price(id) {
  if (mode === 'broken' && id % 100 < brokenPercent) {
    const err = new TypeError("Cannot read properties of undefined (reading 'currency')");
    throw err;
  }
  if (mode === 'leak') {
    // canary 4.3.0 memoises every rendered quote with its full request context: never evicted
    memo.push({ id, context: Array.from({ length: 16384 }, (_, k) => k + id) });
  }
  if (mode === 'flaky' && id % 97 === 13) {
    const err = new Error('upstream rates-api timed out after 30ms');
    err.code = 'ETIMEDOUT';
    throw err;
  }
  return { id, amount: (id * 13) % 1000, currency: 'EUR' };
}

const server = http.createServer((req, res) => {
  const id = ++reqId;
  const start = Date.now();
  const child = log.child({ reqId: `req-${id.toString(36)}` });
  const finish = (status, body, err) => {
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(body));
    const entry = {
      req: { method: req.method, url: req.url, remoteAddress: req.socket.remoteAddress },
      res: { statusCode: status },
      responseTime: Date.now() - start,
    };
    if (err) {
      child.error({ ...entry, err }, 'request errored');
    } else {
      child.info(entry, 'request completed');
    }
  };
  const m = /^\/quotes\/(\d+)$/.exec(req.url);
  if (req.url === '/healthz') return finish(200, { ok: true });
  if (!m) return finish(404, { error: 'not found' });
  setTimeout(() => {
    try {
      finish(200, price(Number(m[1])));
    } catch (err) {
      finish(mode === 'flaky' ? 504 : 500, { error: 'internal error' }, err);
    }
  }, delayFor(req.url));
});

server.listen(port, '127.0.0.1', () => {
  log.info({ version, port: 8080 }, 'quote service listening');
});
process.on('SIGTERM', () => {
  log.info('SIGTERM received, closing server');
  server.close(() => {
    log.info('server closed');
    process.exit(0);
  });
  setTimeout(() => process.exit(0), 2000).unref();
});
