"""Which workbooks a run writes and which organisations each one shows.

A workbook's scope follows from its path (`england.xlsx`, `regions/Y63.xlsx`,
`systems/QHM.xlsx`, `subicbs/01F.xlsx`), so `mhtool check` can recover it from the files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath

import polars as pl

from mhtool import vocab
from mhtool.errors import InputError
from mhtool.fields import OWN
from mhtool.infra.folder import WORKBOOK_FOLDERS, workbook_file

FOLDERS = WORKBOOK_FOLDERS
KIND_OF_FOLDER = {v: k for k, v in FOLDERS.items()}


@dataclass(frozen=True)
class Scope:
    """One workbook: its level ('england', 'region', 'icb', 'subicb') and org code."""

    level: str
    code: str

    @property
    def path(self) -> str:
        return workbook_file(self.level, self.code)

    @classmethod
    def from_path(cls, rel: str) -> Scope | None:
        p = PurePosixPath(rel)
        if p.suffix != ".xlsx":
            return None
        if len(p.parts) == 1 and p.stem == "england":
            return cls("england", vocab.ENGLAND_CODE)
        if len(p.parts) == 2 and p.parts[0] in KIND_OF_FOLDER:
            return cls(KIND_OF_FOLDER[p.parts[0]], p.stem)
        return None


def _codes(spine: pl.DataFrame, level: str) -> list[str]:
    return sorted(spine.filter(pl.col("level") == level).get_column("org_code").unique().to_list())


def _parents(spine: pl.DataFrame) -> dict[str, str]:
    orgs = spine.select("org_code", "parent_code").unique("org_code", keep="first")
    return dict(zip(*orgs.get_columns(), strict=False))


def plan(
    spine: pl.DataFrame,
    *,
    subicb_workbooks: bool = False,
    region: str | None = None,
    system: str | None = None,
) -> list[Scope]:
    """The workbooks to write, England first, then regions, systems and sub-ICBs by code.

    `region` or `system` limits the run to that organisation and those below it;
    an unknown code is an InputError listing the valid ones.
    """
    regions, icbs, subs = (_codes(spine, lv) for lv in ("region", "icb", "subicb"))
    parent = _parents(spine)
    if region is not None:
        region = region.strip().upper()
        if region not in regions:
            raise InputError(
                f"unknown region '{region}'; valid region codes: {', '.join(regions)}",
                field="region",
            )
    if system is not None:
        system = system.strip().upper()
        if system not in icbs:
            raise InputError(
                f"unknown system (ICB) '{system}'; valid ICB codes: {', '.join(icbs)}",
                field="system",
            )
        if region is not None and parent.get(system) != region:
            raise InputError(
                f"system '{system}' is not in region '{region}' (it is in '{parent.get(system)}')",
                field="system",
            )
    if system is not None:
        icbs = [system]
        regions = []
    elif region is not None:
        regions = [region]
        icbs = [i for i in icbs if parent.get(i) == region]
    out = [] if (region or system) else [Scope("england", vocab.ENGLAND_CODE)]
    out += [Scope("region", r) for r in regions]
    out += [Scope("icb", i) for i in icbs]
    if subicb_workbooks:
        out += [Scope("subicb", s) for s in subs if parent.get(s) in icbs]
    return out


def parents(spine: pl.DataFrame) -> dict[str, str]:
    """Each organisation's parent code (England's parts and below), for rows: made once
    where many workbooks' rows are cut from one spine."""
    return dict(
        zip(
            *spine.filter(pl.col("level") != "england")
            .select("org_code", "parent_code")
            .unique()
            .get_columns(),
            strict=False,
        )
    )


def rows(spine: pl.DataFrame, scope: Scope, parent: dict[str, str] | None = None) -> pl.DataFrame:
    """The spine rows a workbook shows: its organisations and those below (`_own` true),
    with England (and for an ICB or sub-ICB its region and ICB) for context. `parent`:
    parents(spine), where the caller has it."""
    lv, org, code = pl.col("level"), pl.col("org_code"), scope.code
    if scope.level == "england":
        return spine.with_columns(pl.lit(True).alias(OWN))
    if parent is None:
        parent = parents(spine)
    if scope.level == "region":
        own = (pl.col("region_code") == code) | (org == code)
        context = lv == "england"
    elif scope.level == "icb":
        own = (pl.col("icb_code") == code) | (org == code)
        context = (lv == "england") | (org == parent[code])
    else:
        own = org == code
        context = (lv == "england") | org.is_in([parent[code], parent[parent[code]]])
    return spine.filter(own.fill_null(False) | context).with_columns(
        own.fill_null(False).alias(OWN)
    )
