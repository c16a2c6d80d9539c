"""The ICB, its primary care networks (PCNs) and their GP practices."""

from sqlalchemy import CheckConstraint
from sqlmodel import Field, SQLModel

import monitor.models.base  # noqa: F401  (naming convention first)

ODS_PRACTICE_PATTERN = r"^[A-Z][0-9]{5}$"
RURALITY_CHOICES = ("urban", "rural")


class IcbBase(SQLModel):
    code: str = Field(max_length=5, unique=True, description="ODS code, such as QK1")
    name: str = Field(max_length=200)
    template_id: str = Field(default="hep-light-touch", max_length=60)
    template_version: int = Field(default=1)


class Icb(IcbBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class PcnBase(SQLModel):
    code: str = Field(max_length=6, unique=True, description="ODS code, such as U12345")
    name: str = Field(max_length=200)
    icb_id: int = Field(foreign_key="icb.id", index=True)


class Pcn(PcnBase, table=True):
    id: int | None = Field(default=None, primary_key=True)


class PracticeBase(SQLModel):
    ods_code: str = Field(max_length=6, unique=True)
    name: str = Field(max_length=200)
    pcn_id: int = Field(foreign_key="pcn.id", index=True)
    town: str = Field(default="", max_length=100)
    list_size: int = Field(ge=0, description="Registered patients")
    imd_decile: int = Field(ge=1, le=10, description="1 = most deprived tenth in England")
    rurality: str = Field(max_length=10)


class Practice(PracticeBase, table=True):
    """A GP practice. Its figures are private unless it chooses to share them: with its
    PCN (PCN medians, the PCN lead) or across the ICB (ICB medians)."""

    __table_args__ = (
        CheckConstraint("imd_decile BETWEEN 1 AND 10", name="ck_practice_imd_decile"),
        CheckConstraint("list_size >= 0", name="ck_practice_list_size"),
        CheckConstraint("rurality IN ('urban', 'rural')", name="ck_practice_rurality"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shares_with_pcn: bool = Field(default=False)
    shares_with_icb: bool = Field(default=False)

    @property
    def imd_quintile(self) -> int:
        """1 = most deprived fifth; deciles 1–2 make quintile 1."""
        return (self.imd_decile + 1) // 2
