"""ended work units: the old codes of the regencies moved into the 2022 Papua provinces

Before 2022 the regencies and cities of Papua Selatan, Papua Tengah and Papua Pegunungan had
Papua's codes (91.xx) and those of Papua Barat Daya had Papua Barat's (92.xx), as
Permendagri 72/2019 lists them. They are kept as units that ended when the new provinces
were formed - 25 July 2022 (UU 14, 15 and 16 Tahun 2022) and 8 December 2022 (UU 29 Tahun
2022), the day their successors (93-96.xx, migration 0009) exist from - each linked to its
successor, so a period that opened before then counts them and a later one does not.
``work_unit.successor_code`` holds the link; the rows are added (or, already there, ended and
linked) where the registry holds their successors (a database without the registry gets
them from satker.csv).

Revision ID: 0016
Revises: 0015
"""
from datetime import date

from alembic import op
import sqlalchemy as sa

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FORMED = {"93": date(2022, 7, 25), "94": date(2022, 7, 25), "95": date(2022, 7, 25),
          "96": date(2022, 12, 8)}
# old code (Permendagri 72/2019) -> the successor's code (assessment/data/satker.csv)
ENDED = {
    "91.01": "93.01", "91.16": "93.02", "91.17": "93.03", "91.18": "93.04",      # Papua Selatan
    "91.04": "94.01", "91.07": "94.02", "91.08": "94.03", "91.09": "94.04",      # Papua Tengah
    "91.25": "94.05", "91.26": "94.06", "91.27": "94.07", "91.28": "94.08",
    "91.02": "95.01", "91.12": "95.02", "91.13": "95.03", "91.14": "95.04",      # Papua Pegunungan
    "91.21": "95.05", "91.22": "95.06", "91.23": "95.07", "91.24": "95.08",
    "92.01": "96.01", "92.04": "96.02", "92.05": "96.03", "92.09": "96.04",      # Papua Barat Daya
    "92.10": "96.05", "92.71": "96.71",
}

unit = sa.table("work_unit", sa.column("code", sa.String), sa.column("name", sa.String),
                sa.column("level", sa.String), sa.column("province_code", sa.String),
                sa.column("time_zone", sa.String), sa.column("active", sa.Boolean),
                sa.column("exists_from", sa.Date), sa.column("exists_until", sa.Date),
                sa.column("successor_code", sa.String))


def upgrade():
    with op.batch_alter_table("work_unit") as batch:
        batch.add_column(sa.Column("successor_code", sa.String(length=16), nullable=True))
        batch.create_foreign_key("fk_work_unit_successor_code", "work_unit",
                                 ["successor_code"], ["code"])
    conn = op.get_bind()
    present = {code for (code,) in conn.execute(sa.select(unit.c.code).where(
        unit.c.code.in_(list(ENDED) + ["91", "92"])))}
    successors = {code: (name, level, zone) for code, name, level, zone in conn.execute(
        sa.select(unit.c.code, unit.c.name, unit.c.level, unit.c.time_zone)
        .where(unit.c.code.in_(list(ENDED.values()))))}
    rows = [{"code": old, "name": successors[new][0], "level": successors[new][1],
             "province_code": old[:2], "time_zone": successors[new][2], "active": True,
             "exists_from": None, "exists_until": FORMED[new[:2]], "successor_code": new}
            for old, new in ENDED.items()
            if new in successors and old not in present and old[:2] in present]
    if rows:
        op.bulk_insert(unit, rows)
    for old, new in ENDED.items():      # old codes already there (an older registry, a
        if old in present and new in successors:        # downgrade): ended and linked
            op.execute(unit.update().where(unit.c.code == old, unit.c.successor_code.is_(None))
                       .values(successor_code=new, exists_until=sa.func.coalesce(
                           unit.c.exists_until, FORMED[new[:2]])))


def downgrade():
    # the ended rows stay (submissions of their time may refer to them); only the link goes
    with op.batch_alter_table("work_unit") as batch:
        batch.drop_constraint("fk_work_unit_successor_code", type_="foreignkey")
        batch.drop_column("successor_code")
