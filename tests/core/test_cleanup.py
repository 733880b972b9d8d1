"""Cleanup planning: which unaliased versions the filters select (with an explicit clock)."""

from artifact_gui.core.cleanup import DAY_SECONDS, CleanupCandidate, CleanupCriteria, select_candidates

NOW = 1_000_000_000.0


def candidate(index, created_days_ago=10, expires_in=None, name="m"):
    created = NOW - created_days_ago * DAY_SECONDS
    return CleanupCandidate(version_id=index, project="p", name=name, type="model", index=index, size=1,
                            created_at=created, consumer_count=0,
                            expires_at=None if expires_in is None else NOW + expires_in)


def test_expired_selects_only_versions_whose_ttl_ran_out():
    pool = [candidate(0, expires_in=-1), candidate(1, expires_in=0), candidate(2, expires_in=60), candidate(3)]
    selected = select_candidates(pool, CleanupCriteria(expired=True), now=NOW)
    assert [c.index for c in selected] == [0, 1]
    assert [c.index for c in select_candidates(pool, CleanupCriteria(), now=NOW)] == [0, 1, 2, 3]


def test_expired_combines_with_the_other_filters():
    pool = [candidate(0, created_days_ago=1, expires_in=-1), candidate(1, created_days_ago=30, expires_in=-1)]
    assert [c.index for c in select_candidates(pool, CleanupCriteria(expired=True, older_than_days=7), now=NOW)] == [1]
