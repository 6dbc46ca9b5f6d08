"""work-unit history: the dates a unit exists from and until, and its former names

A period counts only the units that existed when it opened. The four provinces created
from Papua in 2022 and their regencies exist from the day of their law: Papua Selatan,
Papua Tengah and Papua Pegunungan (UU 14, 15 and 16 Tahun 2022) from 25 July 2022, Papua
Barat Daya (UU 29 Tahun 2022) from 8 December 2022. DKI Jakarta is "Daerah Khusus Jakarta"
since UU 2 Tahun 2024 (25 April 2024); its former name is kept for earlier periods.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

CREATED = {"93": "2022-07-25", "94": "2022-07-25", "95": "2022-07-25", "96": "2022-12-08"}
JAKARTA = ("31", "KPU Provinsi Daerah Khusus Ibukota Jakarta",
           "KPU Provinsi Daerah Khusus Jakarta", "2024-04-25")


def upgrade():
    with op.batch_alter_table("work_unit") as batch:
        batch.add_column(sa.Column("exists_from", sa.Date(), nullable=True))
        batch.add_column(sa.Column("exists_until", sa.Date(), nullable=True))
        batch.add_column(sa.Column("former_names", sa.JSON(), nullable=True))
    unit = sa.table("work_unit", sa.column("code", sa.String), sa.column("name", sa.String),
                    sa.column("exists_from", sa.Date), sa.column("former_names", sa.JSON))
    from datetime import date
    for province, day in CREATED.items():
        op.execute(unit.update().where(sa.or_(unit.c.code == province,
                                              unit.c.code.like(f"{province}.%")))
                   .values(exists_from=date.fromisoformat(day)))
    code, old, new, day = JAKARTA
    op.execute(unit.update().where(unit.c.code == code, unit.c.name == old)
               .values(name=new, former_names=[{"name": old, "until": day}]))


def downgrade():
    code, old, new, _day = JAKARTA
    unit = sa.table("work_unit", sa.column("code", sa.String), sa.column("name", sa.String))
    op.execute(unit.update().where(unit.c.code == code, unit.c.name == new).values(name=old))
    with op.batch_alter_table("work_unit") as batch:
        batch.drop_column("former_names")
        batch.drop_column("exists_until")
        batch.drop_column("exists_from")
