"""A Redis restart in the middle of a warm: redis-py reconnects silently, so the result says so (keys written
before the restart are gone). A private redis-server of this test is restarted; the shared one is never touched."""

from __future__ import annotations

import redis

from redis_servers import RedisServer, free_port
from roster.warmup import UserCacheWarmer, WarmupOptions


def test_a_redis_restart_mid_warm_is_reported(mariadb_engine, tmp_path):
    from .conftest import SEEDED_USERS, SPECIAL_USERS, load_dataset

    load_dataset(mariadb_engine)
    server = RedisServer(tmp_path / "redis", free_port()).start()
    client = redis.Redis(host="127.0.0.1", port=server.port)
    try:
        warmer = UserCacheWarmer(mariadb_engine, client)
        calm = warmer.warm_shard(WarmupOptions(modulo=1, batch=50), 0)
        assert calm.redis_reconnected is False and calm.users_warmed == SEEDED_USERS + len(SPECIAL_USERS)

        def restart_after_first_page(result) -> None:
            if not getattr(restart_after_first_page, "done", False):
                restart_after_first_page.done = True
                server.stop()
                server.start()

        result = warmer.warm_shard(WarmupOptions(modulo=1, batch=50), 0, on_page=restart_after_first_page)

        assert result.redis_reconnected is True
        assert result.users_warmed == SEEDED_USERS + len(SPECIAL_USERS)  # every write after the restart went through
        assert client.dbsize() < result.users_warmed  # the first page's keys died with the old server
        assert result.to_dict()["redis_reconnected"] is True
    finally:
        client.close()
        server.stop()
