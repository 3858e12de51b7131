// The yardstick for `npm run bench`: a bare Express app answering "hello", in its own process
// like the store, so a ratio to it says what our stack costs rather than how fast the machine is.
import express from 'express';

const app = express();
app.get('/', (_req, res) => {
  res.send('hello');
});
const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`hello ready on ${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
