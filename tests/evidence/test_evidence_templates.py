from job.evidence.templates import TemplateIndex, mask


def test_variable_parts_are_masked() -> None:
    line = (
        "user 1234 req-7f3a9c2d1e from 10.0.0.1:8080 at 2024-05-01T12:00:00Z "
        "id=550e8400-e29b-41d4-a716-446655440000 sha=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b took 12ms"
    )
    assert mask(line) == "user <*> <*> from <*>:<*> at <*>:<*>:<*> id=<*> sha=<*> took <*>"


def test_words_and_paths_are_kept() -> None:
    assert mask("GET /api/users/42 500") == "GET /api/users/<*> <*>"
    assert mask("connection refused by upstream") == "connection refused by upstream"


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
