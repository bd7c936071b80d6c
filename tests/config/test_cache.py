"""The campaigns cache: a file that did not change is not parsed again, and an entry is
never trusted: changed, damaged, foreign, forged or stale entries are read past."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import pickle
from pathlib import Path

import pytest

from runner.config import cache as cache_module
from runner.config import campaign
from runner.config.cache import SpecCache
from tests.conftest import Runner, followers, write_campaign

FOLDER = Path(".smm/cache/campaigns")


def load(cache: SpecCache) -> campaign.Loaded:
    loaded = campaign.load([Path("campaigns")], read=cache_module.reader(cache))
    assert not loaded.problems, loaded.problems
    return loaded


def entries() -> list[Path]:
    return sorted(FOLDER.glob("*.spec"))


def test_an_unchanged_file_is_read_from_the_cache_and_gives_the_same_specs() -> None:
    for n in range(3):
        write_campaign(f"c{n}", followers(20))
    first = SpecCache(FOLDER)
    cold = load(first)
    assert (first.hits, first.misses) == (0, 3)
    second = SpecCache(FOLDER)
    warm = load(second)
    assert (second.hits, second.misses) == (3, 0)
    assert warm.campaigns == cold.campaigns
    for a, b in zip(warm.orders, cold.orders, strict=True):
        assert a.location == b.location and a.where("quantity") == b.where("quantity")
        assert a.fingerprint() == b.fingerprint()
    assert oct((FOLDER / "key").stat().st_mode & 0o777) == "0o600"


def test_an_edited_file_is_parsed_again_and_only_it() -> None:
    write_campaign("a", followers(3))
    write_campaign("b", followers(3))
    load(SpecCache(FOLDER))
    write_campaign("b", followers(3, quantity=250))
    again = SpecCache(FOLDER)
    loaded = load(again)
    assert (again.hits, again.misses) == (1, 1)
    assert {dict(o.params)["quantity"] for o in loaded.orders if o.campaign == "b"} == {250}


def test_an_edit_is_planned_not_the_cached_file(run: Runner) -> None:
    write_campaign("shop", followers(2))
    assert run("plan").code == 0
    assert entries()
    write_campaign("shop", followers(2, quantity=300))
    result = run("plan", "--json")
    assert result.code == 0, result.err
    assert {a["units"] for a in json.loads(result.out)["actions"]} == {300}


def test_a_file_with_problems_is_never_cached_and_still_reported(run: Runner) -> None:
    write_campaign("bad", ["{id: x, service: 1, link: https://a.test/p, quantity: -5}"])
    for _ in range(2):
        result = run("validate")
        assert result.code == 1 and "campaigns/bad.yaml:" in result.out + result.err
    assert entries() == []


def test_panels_checked_by_validate_are_part_of_the_key(run: Runner) -> None:
    write_campaign("shop", followers(1))
    assert run("validate").code == 0  # the built-in project knows panel demo
    Path("smm.yaml").write_text("panels:\n  other:\n    url: sim://other\n")
    result = run("validate")
    assert result.code == 1
    assert "unknown panel 'demo'" in result.out + result.err


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # cut short
        lambda b: b[:-1] + bytes([b[-1] ^ 1]),  # one bit flipped
        lambda b: b"",  # empty
        lambda b: b"\x80\x05garbage" * 100,  # not an entry at all
        lambda b: b[:40] + b"\0" * 32 + b[72:],  # the signature wiped
    ],
)
def test_a_damaged_entry_is_read_past(damage: object) -> None:
    write_campaign("shop", followers(5))
    cold = load(SpecCache(FOLDER))
    (entry,) = entries()
    entry.write_bytes(damage(entry.read_bytes()))  # type: ignore[operator]
    again = SpecCache(FOLDER)
    assert load(again).campaigns == cold.campaigns
    assert again.misses == 1
    assert load(SpecCache(FOLDER)).campaigns == cold.campaigns  # and it was written anew


def test_an_entry_from_another_project_is_not_trusted(tmp_path: Path) -> None:
    """Same file, same name, another cache (another key): its entries are not used, even
    one made for a file that says something else."""
    write_campaign("shop", followers(2))
    mine = load(SpecCache(FOLDER))
    other = tmp_path / "other"
    other.mkdir()
    os.chdir(other)
    write_campaign("shop", followers(2, quantity=999))
    load(SpecCache(FOLDER))
    (foreign,) = entries()
    blob = foreign.read_bytes()
    os.chdir(tmp_path / "work")
    (entry,) = entries()
    entry.write_bytes(blob)
    again = SpecCache(FOLDER)
    assert load(again).campaigns == mine.campaigns
    assert again.misses == 1


def test_a_signed_entry_that_would_run_code_is_refused(tmp_path: Path) -> None:
    """Even signed with this cache's key, an entry is unpickled knowing only the spec
    classes: nothing else can be named, let alone called."""
    write_campaign("shop", followers(2))
    cold = load(SpecCache(FOLDER))
    (entry,) = entries()
    proof = tmp_path / "ran"

    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {proof}",))

    key = (FOLDER / "key").read_bytes()
    payload = pickle.dumps(Evil())
    import hmac

    entry.write_bytes(cache_module.MAGIC + hmac.digest(key, payload, "sha256") + payload)
    assert load(SpecCache(FOLDER)).campaigns == cold.campaigns
    assert not proof.exists()


def test_a_damaged_key_turns_the_cache_off_not_the_command(run: Runner) -> None:
    write_campaign("shop", followers(2))
    assert run("plan").code == 0
    (FOLDER / "key").write_bytes(b"short")
    for entry in entries():
        entry.unlink()
    first = run("plan")
    assert first.code == 0, first.err
    assert entries() == []  # nothing is signed with a key that is not whole


def test_a_cache_that_cannot_be_written_is_no_error(run: Runner) -> None:
    write_campaign("shop", followers(2))
    FOLDER.parent.mkdir(parents=True)
    FOLDER.write_text("a file where the folder should be")
    result = run("plan")
    assert result.code == 0, result.err


def test_an_entry_checked_against_today_is_used_that_day_only() -> None:
    last_day = (dt.date(2026, 12, 31)).strftime("%d/%m/%Y")
    Path("campaigns").mkdir()
    Path("campaigns/subs.yaml").write_text(
        "campaign: subs\npanel: demo\norders:\n"
        f"  - {{id: s, service: 100, username: acme, min: 10, max: 20, posts: 5, "
        f"delay: 30, expiry: '{last_day}'}}\n"
    )
    day = dt.date(2026, 12, 1)
    load(SpecCache(FOLDER, today=day))
    same = SpecCache(FOLDER, today=day)
    load(same)
    assert same.hits == 1
    later = SpecCache(FOLDER, today=day + dt.timedelta(days=1))
    load(later)
    assert later.misses == 1


def test_files_the_loading_read_are_part_of_the_key(tmp_path: Path) -> None:
    """A campaign made from a list file: a changed list is a new entry (the hook the
    loader of lists reports its files through)."""
    path = write_campaign("shop", followers(1))
    listed = Path("links.txt")
    listed.write_text("https://a.test/1\n")
    cache = SpecCache(FOLDER)
    source = cache_module.read_source(path, "campaigns/shop.yaml", 1 << 20)
    spec = load(SpecCache(tmp_path / "elsewhere")).campaigns[0]
    cache.put(source, spec, dated=False, reads=[listed])
    assert cache.get(source, campaign.CampaignSpec) == spec
    listed.write_text("https://a.test/2\n")
    assert cache.get(source, campaign.CampaignSpec) is None
    listed.unlink()
    assert cache.get(source, campaign.CampaignSpec) is None


def test_another_smm_reads_past_the_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    write_campaign("shop", followers(2))
    load(SpecCache(FOLDER))
    monkeypatch.setattr(cache_module, "code_digest", lambda: "another version")
    again = SpecCache(FOLDER)
    load(again)
    assert again.misses == 1


def _load_in_a_process(folder: str) -> list[str]:
    os.chdir(folder)
    loaded = load(SpecCache(FOLDER))
    return [o.fingerprint() for o in loaded.orders]


def test_runs_at_the_same_time_share_the_cache_safely() -> None:
    """Four processes fill the cache at once (one key made, entries replaced whole):
    each reads what the files say, and the next run finds every entry."""
    for n in range(20):
        write_campaign(f"c{n:02d}", followers(30, quantity=100 + n))
    expected = [o.fingerprint() for o in campaign.load([Path("campaigns")]).orders]
    context = multiprocessing.get_context("spawn")
    with context.Pool(4) as pool:
        results = pool.map(_load_in_a_process, [os.getcwd()] * 4)
    assert all(r == expected for r in results)
    after = SpecCache(FOLDER)
    assert [o.fingerprint() for o in load(after).orders] == expected
    assert (after.hits, after.misses) == (20, 0)


def test_validate_needs_no_state_and_a_postgresql_state_keeps_it_in_the_project(
    run: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_campaign("shop", followers(2))
    monkeypatch.setenv("SMM_STATE", "mysql://db/smm")
    result = run("validate")
    assert result.code == 0, result.err  # offline, and no state to say where a cache goes
    assert not Path(".smm").exists()
    assert run("plan").code == 1  # the command that needs the state says why
    monkeypatch.setenv("SMM_STATE", "postgresql://127.0.0.1:1/nowhere")
    assert run("validate").code == 0
    assert entries()  # beside the project's .smm/, not in a database


def old(*paths: Path) -> None:
    """Files last changed a minute ago (a list changed within a second of its reading
    is not cached)."""
    for path in paths:
        then = path.stat().st_mtime - 60
        os.utime(path, (then, then))


def test_a_for_each_list_is_part_of_the_key(run: Runner) -> None:
    """An entry made from a list is used while the list is the same; an item added to
    the list plans its one create, though the campaign file did not change."""
    Path("campaigns").mkdir()
    Path("campaigns/posts.csv").write_text("link,quantity\nhttps://a.test/p/1,100\n")
    Path("campaigns/boost.yaml").write_text(
        "campaign: boost\npanel: demo\norders:\n"
        "  - id: likes-{key}\n    for_each: posts.csv\n    service: 3\n"
        '    link: "{link}"\n    quantity: "{quantity}"\n'
    )
    old(Path("campaigns/posts.csv"))
    first = SpecCache(FOLDER)
    assert [o.id for o in load(first).orders] == ["likes-https-a-test-p-1"]
    again = SpecCache(FOLDER)
    loaded = load(again)
    assert (again.hits, again.misses) == (1, 0)
    assert loaded.read == [
        Path("campaigns/boost.yaml").resolve(),
        Path("campaigns/posts.csv").resolve(),
    ]
    with Path("campaigns/posts.csv").open("a") as csv:
        csv.write("https://a.test/p/2,200\n")
    result = run("plan", "--json")
    assert result.code == 0, result.err
    created = [a["address"] for a in json.loads(result.out)["actions"] if a["action"] == "create"]
    assert created == ["boost/likes-https-a-test-p-1", "boost/likes-https-a-test-p-2"]


def test_a_list_changed_as_it_is_read_is_not_cached() -> None:
    Path("campaigns").mkdir()
    Path("campaigns/links.txt").write_text("https://a.test/1\n")
    Path("campaigns/boost.yaml").write_text(
        "campaign: boost\npanel: demo\norders:\n"
        '  - {id: "v-{key}", for_each: links.txt, service: 4, link: "{item}", quantity: 100}\n'
    )
    load(SpecCache(FOLDER))  # the list was written just now
    assert entries() == []
    old(Path("campaigns/links.txt"))
    load(SpecCache(FOLDER))
    assert len(entries()) == 1


@pytest.mark.parametrize(
    "shape",
    [
        lambda ident, spec: (ident, None, 5, spec),  # reads not pairs
        lambda ident, spec: (ident, None, (("a",),), spec),
        lambda ident, spec: (ident, spec),  # too short
        lambda ident, spec: (ident, None, (), "not a spec"),
        lambda ident, spec: (ident, 20261201, (), spec),  # a day of another kind
    ],
)
def test_a_signed_entry_of_another_shape_is_read_past(shape: object) -> None:
    import hmac

    path = write_campaign("shop", followers(2))
    cache = SpecCache(FOLDER)
    cold = load(cache)
    source = cache_module.read_source(path, "campaigns/shop.yaml", 1 << 20)
    (entry,) = entries()
    key = (FOLDER / "key").read_bytes()
    payload = pickle.dumps(shape(cache._ident(source), cold.campaigns[0]))  # type: ignore[operator]
    entry.write_bytes(cache_module.MAGIC + hmac.digest(key, payload, "sha256") + payload)
    assert cache.get(source, campaign.CampaignSpec) is None
    assert load(SpecCache(FOLDER)).campaigns == cold.campaigns


def test_every_kind_of_spec_comes_back_whole() -> None:
    """Selectors, safety limits, repeats, budgets and dates: each survives the cache."""
    Path("campaigns").mkdir()
    Path("campaigns/all.yaml").write_text(
        "campaign: all\nbudget: 12.5\nnot_before: 2026-01-02T03:04:05Z\n"
        "safety: {max_creates: 3, max_spend: 9.99}\n"
        "defaults:\n  service: {match: Likes, type: custom_comments, refill: false, "
        "max_rate: 2, panels: [a, b]}\norders:\n"
        "  - {id: x, link: https://x.com/p, comments: [hi, there]}\n"
        "  - {id: weekly, service: 1, panel: a, link: https://x.com/q, quantity: 100,"
        " repeat: {every: 7d, until: 2027-06-01}}\n"
    )
    cold = load(SpecCache(FOLDER))
    again = SpecCache(FOLDER)
    warm = load(again)
    assert (again.hits, again.misses) == (1, 0)
    assert warm.campaigns == cold.campaigns
    (before,), (after,) = cold.campaigns, warm.campaigns
    assert after.safety == before.safety and after.safety is not None
    assert [o.selector for o in after.orders] == [o.selector for o in before.orders]
    assert [o.repeat for o in after.orders] == [o.repeat for o in before.orders]
    assert after.orders[1].repeat is not None
