import random

from job.evidence.templates import _ANY_VARIABLE, OTHER_ID, TemplateIndex, mask


def test_variable_parts_are_masked() -> None:
    line = (
        "user 1234 req-7f3a9c2d1e from 10.0.0.1:8080 at 2024-05-01T12:00:00Z "
        "id=550e8400-e29b-41d4-a716-446655440000 sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b took 12ms"
    )
    assert mask(line) == "user <*> <*> from <*>:<*> at <*>:<*>:<*> id=<*> sha=<*> took <*>"


def test_words_and_paths_are_kept() -> None:
    assert mask("GET /api/users/42 500") == "GET /api/users/<*> <*>"
    assert mask("connection refused by upstream") == "connection refused by upstream"


def test_a_token_holding_a_digit_is_masked_wherever_it_is_in_the_message() -> None:
    """Text before the first digit is kept as it is, however long; every token after it with a
    digit is masked whole, whatever comes before it on its line."""
    words = "the quick brown fox jumps over the lazy dog and keeps running far away"
    assert mask(words) == words
    assert mask(f"{words} after 42 tries") == f"{words} after <*> tries"
    assert mask(f"{words}:v2.1-rc3/x_9y.z") == f"{words}:<*>/<*>"
    assert mask(f"{words}-version v2 at é42 and -7") == f"{words}-version <*> at é<*> and <*>"
    assert (
        mask(f"{words}_tail9 {words}")
        == f"the quick brown fox jumps over the lazy dog and keeps running far <*> {words}"
    )
    assert mask("event={'sku': 'abc', 'n': 12} level=info") == "event={'sku': 'abc', 'n': <*>} level=info"
    assert mask(f"{words} 42 {words}") == f"{words} <*> {words}"
    assert mask(f"id-7 {words} x.9-y {words}") == f"<*> {words} <*> {words}"
    assert mask(f"{words}x9 {words}") == f"{words.removesuffix('away')}<*> {words}"


def test_the_key_is_the_token_regex_s_on_any_text() -> None:
    """mask() works on the UTF-8 bytes; its key is `_ANY_VARIABLE.sub` on the text, whatever the
    text: tokens at either end, after multi-byte characters, other scripts' digits and letters, the
    byte 0xFF's character, a lone surrogate from a JSON escape."""
    pieces = ["a", "Zq", "_", ".", "-", "0", "7", "42", " ", ":", "/", "=", "[", '"', "é", "ÿ", "\u0661",
              "\u00b2", "日本", "\ud800", "\t", "0x1f", "v2", "x_9y.z", "-7", "<*>"]  # fmt: skip
    rng = random.Random(11)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randrange(0, 30))) for _ in range(20_000)]
    texts += ["", "9", "a9", "9a", "é9", "9é", "a-9.b_c d", "\ud8009", "x\ud800 y7"]
    for text in texts:
        assert mask(text) == _ANY_VARIABLE.sub("<*>", text), repr(text)


def test_same_shape_same_id_on_both_sides_and_cache_skips_drain() -> None:
    index = TemplateIndex()
    ids = {index.id_for(f"order {n} paid by user {n * 7} in {n % 50}ms") for n in range(1000)}
    assert len(ids) == 1
    assert index.drain_calls == 1


def test_different_shapes_get_different_ids() -> None:
    index = TemplateIndex()
    a = index.id_for("connected to redis at 10.0.0.1:6379")
    b = index.id_for("failed to connect to postgres: connection refused")
    c = index.id_for("GET /color 200")
    assert len({a, b, c}) == 3
    assert index.template(a) == "connected to redis at <IP>"


def test_drain_generalises_a_changing_word() -> None:
    index = TemplateIndex()
    first = index.id_for("serving colour blue to the client now")
    second = index.id_for("serving colour green to the client now")
    assert first == second
    assert index.template(first) == "serving colour <*> to the client now"


def test_request_templates_keep_status_and_route() -> None:
    index = TemplateIndex()
    ok, failed = index.request_id("GET /api/users/42 200"), index.request_id("GET /api/users/7 500")
    orders = index.request_id("GET /api/orders/7 500")
    assert len({ok, failed, orders}) == 3
    assert index.template(failed) == "GET /api/users/<NUM> 500"
    assert index.request_id("GET /api/users/9 500") == failed


def test_free_text_request_records_are_mined_per_status() -> None:
    index = TemplateIndex()
    blue = index.request_id("served colour blue to client 200")
    yellow = index.request_id("served colour yellow to client 200")
    failing = index.request_id("served colour yellow to client 500")
    assert blue == yellow != failing
    assert index.template(failing).endswith(" 500")


def _free_text(n: int, seed: int = 1) -> list[str]:
    import random
    import string

    rng = random.Random(seed)
    word = lambda: "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 9)))  # noqa: E731
    return [f"{word()} {word()} {word()} {word()}" for _ in range(n)]


def test_new_shapes_past_the_side_budget_count_as_other_shapes() -> None:
    from job.evidence.templates import OTHER_ID

    index = TemplateIndex(side_budget=10, error_reserve=5)
    ids = [index.id_for(text) for text in _free_text(30)]
    assert len(set(ids[:10])) == 10 and OTHER_ID not in ids[:10]
    assert set(ids[10:]) == {OTHER_ID}
    assert index.template(OTHER_ID).startswith("(other shapes")
    # error-level messages keep their own shapes a little longer, then join the bucket too
    errors = [index.id_for(text, "error") for text in _free_text(10, seed=2)]
    assert OTHER_ID not in errors[:5] and set(errors[5:]) == {OTHER_ID}
    # past the budget a new message never reaches drain3; one already seen keeps its template
    assert index.id_for("served colour blue") == OTHER_ID
    assert index.id_for(_free_text(1)[0]) == ids[0]
    assert len(index.drain.id_to_cluster) == 15


def test_the_canary_has_its_own_budget_and_known_overflow_shapes_stay_other() -> None:
    from job.evidence.templates import OTHER_ID

    index = TemplateIndex(side_budget=5, error_reserve=0)
    stable = _free_text(8)
    [index.id_for(text) for text in stable]
    index.next_side()
    assert index.id_for(stable[7]) == OTHER_ID  # the same message: the same bucket on both sides
    assert index.id_for("a message the canary brings") != OTHER_ID


def test_request_shapes_past_the_budget_keep_their_status() -> None:
    from job.evidence.templates import OTHER_ID

    index = TemplateIndex(side_budget=3)
    ids = [index.request_id(f"GET /{word} 500") for word in _free_text(6)]
    assert len(set(ids[:3])) == 3
    assert len(set(ids[3:])) == 1 and ids[3] in index.other_ids
    assert index.template(ids[3]) == index.template(OTHER_ID) + " 500"


def test_an_apache_error_is_one_template_whatever_the_weekday() -> None:
    index = TemplateIndex()
    ids = {
        index.id_for(f"[{day} Dec {n:02d} 0{n}:47:44.123456 2022] [cgi:error] [pid 1{n}] AH01215: died")
        for n, day in enumerate(("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"), start=4)
    }
    assert len(ids) == 1


def test_free_text_stops_reaching_drain3_early_and_errors_keep_their_shapes() -> None:
    from job.evidence.templates import FREE_TEXT_AFTER, FREE_TEXT_BLOCK, OTHER_ID

    index = TemplateIndex()
    ids = [index.id_for(text) for text in _free_text(3000)]
    # every line a new shape: mining stops within one block of FREE_TEXT_AFTER, far below the budget
    assert FREE_TEXT_AFTER <= index.drain_calls <= FREE_TEXT_AFTER + FREE_TEXT_BLOCK
    assert OTHER_ID not in ids[:FREE_TEXT_AFTER] and ids[-1] == OTHER_ID
    # error-level shapes are still mined while the free text goes on
    errors = [index.id_for(text, "error") for text in _free_text(100, seed=5)]
    assert OTHER_ID not in errors and len(set(errors)) > 50


def test_mining_resumes_when_free_text_gives_way_to_repeating_lines() -> None:
    from job.evidence.templates import FREE_TEXT_BLOCK, OTHER_ID

    index = TemplateIndex()
    [index.id_for(text) for text in _free_text(2000)]
    assert index.id_for("payment gateway answered slowly") == OTHER_ID  # still free text
    steady = [f"worker {name} polled the queue" for name in ("alpha", "beta", "gamma", "delta")]
    for i in range(2 * FREE_TEXT_BLOCK):
        index.id_for(steady[i % len(steady)])
    new = index.id_for("payment gateway refused the card")
    assert new != OTHER_ID and index.template(new) == "payment gateway refused the card"


def test_a_service_with_hundreds_of_shapes_keeps_every_one() -> None:
    """A real service meets its shapes early and then repeats them: even 600 of them, each seen
    first among three lines of shapes already seen, all keep their own templates."""
    import random

    from job.evidence.templates import OTHER_ID

    rng = random.Random(7)
    shapes = [" ".join(words.split()[:3]) + " handled" for words in _free_text(600, seed=9)]
    index = TemplateIndex()
    first_ids = []
    for n, shape in enumerate(shapes):
        first_ids.append(index.id_for(shape))
        for _ in range(3):
            assert index.id_for(shapes[rng.randrange(n + 1)]) != OTHER_ID
    assert OTHER_ID not in first_ids and index.drain_calls == 600


def test_a_free_text_stable_leaves_the_canary_its_own_judgement() -> None:
    from job.evidence.templates import OTHER_ID

    index = TemplateIndex()
    [index.id_for(text) for text in _free_text(2000)]
    index.next_side()
    canary = [index.id_for(text) for text in _free_text(50, seed=11)]
    assert OTHER_ID not in canary


def test_a_shape_that_must_be_mined_is_mined_past_the_budget_and_no_other() -> None:
    """The acknowledge file's always-fail shapes (`must_mine`) get their own template past the side's
    budget, for messages and request records alike; every other new shape counts as other shapes."""
    wanted = {"payment provider <NUM> unreachable", "GET /admin/<NUM> 200"}
    index = TemplateIndex(side_budget=3, error_reserve=0, must_mine=lambda text, level: text in wanted)
    for i in range(10):
        index.id_for(f"shape number {i} x{'y' * i}")
        index.request_id(f"GET /route{'z' * i} 200")
    assert index.id_for("cache warmed in full") == OTHER_ID
    template_id = index.id_for("payment provider 42 unreachable", "warn")
    assert template_id != OTHER_ID and index.template(template_id) == "payment provider <NUM> unreachable"
    request = index.request_id("GET /admin/7 200")
    assert request not in index.other_ids and index.template(request) == "GET /admin/<NUM> 200"
    assert index.request_id("GET /other/7 200") in index.other_ids
