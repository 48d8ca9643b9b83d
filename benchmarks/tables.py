"""The tables bench.py prints: each phase against its floor, and feedsvc against Hugo."""

from __future__ import annotations

from phases import Phase

RSS_LIMIT_MIB = 300  # feedsvc's peak memory at any size


def _spread(phase: Phase) -> str:
    return f"{min(phase.seconds):.3f}-{max(phase.seconds):.3f}"


def _verdict(phase: Phase) -> str:
    if phase.limit is None and phase.seconds_limit is None:
        return ""
    met = phase.limit is None or phase.ratio <= phase.limit
    met = met and (phase.seconds_limit is None or phase.median < phase.seconds_limit)
    return f"{phase.target} {'ok' if met else 'MISSED'}"


def _peak(phase: Phase) -> str:
    if not phase.rss_mib:
        return ""
    peak = max(phase.rss_mib)
    return f"{peak:.0f}" + ("" if peak < RSS_LIMIT_MIB or "hugo" in phase.name else " MISSED")


def row(n: str, phase: Phase) -> str:
    ratio = f"{phase.ratio:.2f}x" if phase.floor is not None else ""
    written = "/".join(str(count) for count in phase.written)
    name = phase.name + (" *" if phase.disturbed else "")
    return (
        f"{n:>7} | {name:<23} | {phase.median:8.3f} | {_spread(phase):>13} | {ratio:>7} | "
        f"{_verdict(phase):<27} | {_peak(phase):>8} | {written}"
    )


HEADER = (
    f"{'N':>7} | {'phase':<23} | {'median s':>8} | {'min-max s':>13} | {'ratio':>7} | "
    f"{'target':<27} | {'RSS MiB':>8} | files written"
)


def peer_row(n: int, phase: Phase) -> str:
    assert phase.peer is not None
    ratio = phase.peer_ratio
    verdict = ""
    if phase.peer_limit is not None:
        met = ratio < phase.peer_limit
        verdict = f"< {phase.peer_limit:g}x {'ok' if met else 'MISSED'}"
    ours = f"{phase.median:.3f} ({_spread(phase)})"
    theirs = f"{phase.peer.median:.3f} ({_spread(phase.peer)})"
    memory = f"{_peak(phase)} / {_peak(phase.peer)}"
    return (
        f"{n:>7} | {phase.name:<10} | {ours:>23} | {theirs:>23} | {ratio:6.2f}x | "
        f"{verdict:<10} | {memory}"
    )


PEER_HEADER = (
    f"{'N':>7} | {'phase':<10} | {'feedsvc s (min-max)':>23} | {'Hugo s (min-max)':>23} | "
    f"{'ratio':>7} | {'target':<10} | peak MiB feedsvc / Hugo"
)
