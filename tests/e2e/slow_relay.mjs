// A relay in front of nginx's Nchan publisher socket, for
// tests/e2e/longpoll.sh: it makes one step of a long poll's hand-over slow,
// so that a change lands, deterministically, in the middle of it.
//
//   node slow_relay.mjs LISTEN TARGET FLAG DELAY_MS
//
// Relays every connection on the unix socket LISTEN to TARGET; while the
// file FLAG exists, a GET whose path starts with the FLAG's first line
// (/_gentrack/pub/: the application's look-up of a channel;
// /_gentrack/longpoll/: nginx taking the wait) is held DELAY_MS before it
// is passed on. Publishes (POST) always pass at once.
import fs from 'node:fs';
import net from 'node:net';

const [listen, target, flag, delay] = process.argv.slice(2);

const server = net.createServer((client) => {
  const upstream = net.connect(target);
  let first = true;
  client.on('data', (chunk) => {
    if (first) {
      first = false;
      let held = null;
      try { held = fs.readFileSync(flag, 'utf8').split('\n')[0]; } catch { /* no flag */ }
      if (held && chunk.toString('latin1').startsWith(`GET ${held}`)) {
        client.pause();
        setTimeout(() => { upstream.write(chunk); client.resume(); }, Number(delay));
        return;
      }
    }
    upstream.write(chunk);
  });
  upstream.pipe(client);
  client.on('end', () => upstream.end());
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
});
server.listen(listen);
