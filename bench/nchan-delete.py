#!/usr/bin/env python3
"""Load for bench/nchan-delete.sh: channels whose subscribers arrive around
their final message, then deleted at once, later, or never.

    nchan-delete.py PORT MODE SECONDS LOOPS [DELAY]

MODE: now (DELETE right after the final POST, gentrack before h-live13),
later (DELETE DELAY seconds after it, default 20), never. Each of LOOPS
loops, for SECONDS: POST a first message to a new channel, open 20
EventSource subscribers one every 5 ms (each closes on the final message,
as clients/js/gentrack.mjs does), POST the final message after the 15th.
Prints one line of counts."""
import asyncio
import random
import sys
import time

PORT, MODE, SECONDS, LOOPS = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
DELAY = float(sys.argv[5]) if len(sys.argv) > 5 else 20.0
HOST = '127.0.0.1'
stats = {'channels': 0, 'subscribers': 0, 'subscriber_errors': 0, 'deletes': 0}


async def call(method, path, body=b''):
    try:
        r, w = await asyncio.open_connection(HOST, PORT)
        w.write(f'{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n'
                f'Connection: close\r\n\r\n'.encode() + body)
        await w.drain()
        await asyncio.wait_for(r.read(), 10)
        w.close()
    except (OSError, asyncio.TimeoutError):
        pass


async def subscriber(ch):
    try:
        r, w = await asyncio.open_connection(HOST, PORT)
        w.write(f'GET /sub/{ch} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n'.encode())
        await w.drain()
        buf = b''
        end = time.monotonic() + 10
        while time.monotonic() < end and b'final' not in buf:
            d = await asyncio.wait_for(r.read(4096), 10)
            if not d:
                break
            buf += d
        w.close()
        stats['subscribers'] += 1
    except (OSError, asyncio.TimeoutError):
        stats['subscriber_errors'] += 1


async def delete(ch, delay):
    await asyncio.sleep(delay)
    await call('DELETE', f'/pub/{ch}')
    stats['deletes'] += 1


async def loop(n):
    tasks = []
    i = 0
    end = time.monotonic() + SECONDS
    while time.monotonic() < end:
        ch = f'c{n}x{i}x{random.randrange(1 << 30)}'
        await call('POST', f'/pub/{ch}', b'first')
        for k in range(20):
            tasks.append(asyncio.create_task(subscriber(ch)))
            await asyncio.sleep(0.005)
            if k == 14:
                await call('POST', f'/pub/{ch}', b'final')
                if MODE != 'never':
                    tasks.append(asyncio.create_task(delete(ch, 0 if MODE == 'now' else DELAY)))
        stats['channels'] += 1
        i += 1
    await asyncio.gather(*tasks)


async def main():
    await asyncio.gather(*(loop(n) for n in range(LOOPS)))
    print(' '.join(f'{k}={v}' for k, v in stats.items()))


asyncio.run(main())
