"""The cache audit (roster.warmup.audit, ``roster warm --verify``): fresh, stale and missing documents are told
apart and their differences listed, on MariaDB and SQLite; the audit writes nothing."""

from __future__ import annotations

import random

import orjson

from roster.warmup import UserCacheWarmer, WarmupOptions
from roster.warmup.audit import audit_cache, differences, sample_usernames
from conftest import run_roster as run


def warm_everyone(dataset, redis_client) -> None:
    UserCacheWarmer(dataset.engine, redis_client).warm_shard(WarmupOptions.from_params({"modulo": 1}), 0)


def cache_contents(redis_client) -> dict:
    return {key: redis_client.get(key) for key in redis_client.scan_iter("*", count=1000)}


def spoil(dataset, redis_client) -> tuple[list[str], dict[str, str]]:
    """Five users: one missing from the cache, one with other roles, one with an assignment in another state."""
    with_assignments = sorted(name for name, doc in dataset.users.items() if doc["assignments"])
    names = with_assignments[:5]
    redis_client.delete(f"user.{names[0]}")
    doc = orjson.loads(redis_client.get(f"user.{names[1]}"))
    doc["roles"] = ["ROLE_SOMEONE_ELSE"]
    redis_client.set(f"user.{names[1]}", orjson.dumps(doc))
    doc = orjson.loads(redis_client.get(f"user.{names[2]}"))
    doc["assignments"][0]["state"] = "cancelled" if doc["assignments"][0]["state"] != "cancelled" else "ready"
    redis_client.set(f"user.{names[2]}", orjson.dumps(doc))
    return names, {"missing": names[0], "roles": names[1], "assignment": names[2]}


def test_fresh_stale_and_missing_documents_are_counted(dataset, redis_client):
    warm_everyone(dataset, redis_client)
    names, spoiled = spoil(dataset, redis_client)
    before = cache_contents(redis_client)

    report = audit_cache(dataset.engine, redis_client, usernames=names + ["no_such_user"])

    assert (report["checked"], report["fresh"], report["stale"], report["missing"]) == (5, 2, 2, 1)
    assert report["unknown_usernames"] == ["no_such_user"]
    found = {item["key"]: item["differences"] for item in report["differences"]}
    assert found[f"user.{spoiled['missing']}"] == ["not in the cache"]
    assert found[f"user.{spoiled['roles']}"][0].startswith("roles: cached ['ROLE_SOMEONE_ELSE'], database ")
    first_assignment = dataset.users[spoiled["assignment"]]["assignments"][0]["id"]
    assert found[f"user.{spoiled['assignment']}"] == [f"assignment {first_assignment}: state differ"]
    assert cache_contents(redis_client) == before  # nothing written


def test_a_random_sample_of_a_fresh_cache_is_all_fresh(dataset, redis_client):
    warm_everyone(dataset, redis_client)
    report = audit_cache(dataset.engine, redis_client, sample=50)
    assert report["checked"] == 50 and report["fresh"] == 50 and not report["differences"]
    # A sample starting near the end of the table is completed from its start.
    names = sample_usernames(dataset.engine, 50, rng=random.Random(3))
    assert len(names) == 50 and set(names) <= set(dataset.users)


def test_differences_list_assignments_added_and_removed():
    cached = {"id": 1, "groupId": 2, "roles": [], "assignments": [{"id": 7, "state": "ready"}]}
    expected = {"id": 1, "groupId": 3, "roles": [], "assignments": [{"id": 8, "state": "ready"}]}
    assert differences(cached, expected) == [
        "groupId: cached 2, database 3",
        "assignment 7: in the cache, no longer in the database",
        "assignment 8: missing from the cache",
    ]


def test_roster_warm_verify(mariadb_engine, redis_client):
    from tests.warmup.conftest import Dataset, expected_documents, load_dataset

    load_dataset(mariadb_engine)
    dataset = Dataset(mariadb_engine, *expected_documents(mariadb_engine))
    warm_everyone(dataset, redis_client)
    names = sorted(name for name, doc in dataset.users.items() if doc["assignments"])[:3]
    assert run("warm", "--verify", "--usernames", ",".join(names)).returncode == 0
    _, spoiled = spoil(dataset, redis_client)

    checked = run("warm", "--verify", "--usernames", ",".join(names))

    assert checked.returncode == 1, checked.stderr
    report = orjson.loads(checked.stdout)
    assert (report["fresh"], report["stale"], report["missing"]) == (0, 2, 1)
    refused = run("warm", "--verify", "--mode", "async")
    assert refused.returncode != 0 and refused.stderr.strip().endswith("--verify checks --usernames or a --sample; --mode does not apply")
