import assert from 'node:assert/strict';
import { heartbeat } from '../../../adapters/redis/membership.js';
import { describeWithRedis, RedisServer, type TestRedisClient } from '../../support/redis.js';
import { sleep } from '../../support/wait.js';

describeWithRedis('membership heartbeats', function () {
  this.timeout(20_000);
  let server: RedisServer;
  let client: TestRedisClient;
  before(async () => {
    server = await RedisServer.start();
    client = await server.client();
  });
  after(async () => {
    await client?.close();
    await server?.stop();
  });

  it('a member whose heartbeats were late is not live meanwhile, and comes back with its join time', async () => {
    const ttl = 200;
    const first = await heartbeat(client, 'm1', 'a', ttl);
    const joined = first.members.find((m) => m.id === 'a')?.joinedAt;
    assert.ok(joined !== undefined);
    // a stalls past its TTL; b's heartbeat does not see it as live.
    await sleep(ttl * 2);
    const seenByB = await heartbeat(client, 'm1', 'b', ttl);
    assert.deepEqual(
      seenByB.members.map((m) => m.id),
      ['b'],
    );
    // a's next heartbeat: live again, with the join time it had (no second join grace).
    const back = await heartbeat(client, 'm1', 'a', ttl);
    assert.equal(back.members.find((m) => m.id === 'a')?.joinedAt, joined);
    // Leaving forgets the member at once.
    await heartbeat(client, 'm1', 'a', ttl, true);
    const after = await heartbeat(client, 'm1', 'a', ttl);
    assert.ok((after.members.find((m) => m.id === 'a')?.joinedAt ?? 0) > joined);
  });

  it('forgets a member some TTLs after it expired', async () => {
    const ttl = 20;
    await heartbeat(client, 'm2', 'a', ttl);
    await sleep(ttl * 12);
    await heartbeat(client, 'm2', 'b', ttl);
    assert.equal(await client.sendCommand(['ZSCORE', 'm2:members', 'a']), null);
    assert.equal(await client.sendCommand(['HGET', 'm2:members:joined', 'a']), null);
  });
});
