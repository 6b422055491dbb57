// A product search API on Express 4 with morgan's `dev` request log, used to make real Node.js logs.
// argv: port  env MODE: good | noindex (1.8.0's migration dropped the products' name index: every
// search scans the table, about four times slower; every answer is still 200).
'use strict';
const express = require('express');
const morgan = require('morgan');

const port = Number(process.argv[2]);
const mode = process.env.MODE || 'good';
const version = process.env.APP_VERSION || '1.7.2';
const app = express();
app.use(morgan('dev'));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

app.get('/healthz', (req, res) => res.json({ ok: true }));
app.get('/api/search', async (req, res) => {
  const term = String(req.query.q || '');
  // the query's time: an indexed lookup, or a scan of the whole table without the index
  const base = 4 + (term.length % 5);
  await sleep(mode === 'noindex' ? base * 4 + 10 : base);
  res.json({ q: term, results: term.length % 7, version });
});
app.get('/api/products/:id', async (req, res) => {
  await sleep(2);
  res.json({ id: req.params.id, name: `product ${req.params.id}` });
});

app.listen(port, '127.0.0.1', () => console.log(`search ${version} listening on http://127.0.0.1:${port}`));
