from job.evidence.compare import MIN_TESTED, TemplateCounts, compare_templates, select_templates


def test_rates_ratio_and_bonferroni_significance() -> None:
    counts = {
        (1, "error"): TemplateCounts(stable=10, canary=60, examples=["db timeout"]),  # 6x on equal volume
        (2, "info"): TemplateCounts(stable=900, canary=880),
        (3, "error"): TemplateCounts(stable=0, canary=MIN_TESTED - 1),  # too few to be tested
        (4, "warn"): TemplateCounts(stable=5, canary=0, stable_examples=["stable only"]),
    }
    stats, tested = compare_templates(counts, {1: "db timeout", 2: "ok", 3: "rare"}, 1000, 1000)
    by_id = {s.id: s for s in stats}
    assert tested == 2
    timeout = by_id["1:error"]
    assert timeout.significant and timeout.ratio == 6.0 and timeout.canary_rate == 0.06
    assert not by_id["2:info"].significant and not by_id["3:error"].significant
    assert by_id["4:warn"].examples == ["stable only"] and by_id["4:warn"].ratio == 0.0
    assert by_id["3:error"].template == "rare"


def test_selection_puts_problems_first_and_is_bounded() -> None:
    counts = {(i, "info"): TemplateCounts(stable=100 + i, canary=100 + i) for i in range(100)}
    counts[(500, "error")] = TemplateCounts(stable=0, canary=50)
    counts[(501, "info")] = TemplateCounts(stable=0, canary=7)
    stats, _ = compare_templates(counts, {}, 20_000, 20_000)
    chosen = select_templates(stats, limit=10)
    ids = [t.id for t in chosen]
    assert len(chosen) == 10
    assert ids[0] == "500:error" and "501:info" in ids
    assert "99:info" in ids  # the busiest shapes fill the rest
