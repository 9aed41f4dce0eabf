"""Who may do what, declared once as data, and where (the scope).

A route names one permission; :func:`allowed` says whether a role holds it. The scope says which
regions and agencies a user's permissions reach: everything (admin; a researcher, for published
data), a region's subtree (a supervisor), one agency (agency staff). Anything not granted here is
refused, and a scope that cannot be worked out is empty: a supervisor with no region, or staff with
no agency, see nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# role -> (Chinese name, permissions). Agency staff (clerk, approver, agency admin) differ in the
# office pages (issue 12); here they share what their agency may see and answer.
ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "admin": ("系统管理员", frozenset({
        "report.check", "corpus.read", "cell.confirm", "desk.read", "case.read", "case.manage",
        "users.manage", "audit.read", "account.self"})),
    "supervisor": ("监督人员", frozenset({
        "report.check", "corpus.read", "cell.confirm", "desk.read", "case.read", "case.manage",
        "account.self"})),
    "agency_admin": ("机关管理员", frozenset({
        "report.check", "corpus.read", "cell.confirm", "case.read", "case.respond", "account.self"})),
    "approver": ("审核人", frozenset({"report.check", "corpus.read", "case.read", "case.respond", "account.self"})),
    "clerk": ("经办人", frozenset({"report.check", "corpus.read", "case.read", "case.respond", "account.self"})),
    "researcher": ("研究人员", frozenset({"corpus.read", "account.self"})),
}
AGENCY_ROLES = ("agency_admin", "approver", "clerk")
REGION_ROLES = ("supervisor",)
TOTP_REQUIRED = ("admin",)  # roles that must sign in with a second factor

PERMISSIONS: dict[str, str] = {
    "report.check": "上传与核查报告",
    "corpus.read": "查阅报告库",
    "cell.confirm": "确认存疑单元格",
    "desk.read": "查看督查工作台",
    "case.read": "查看整改事项",
    "case.manage": "督办整改",
    "case.respond": "答复整改事项",
    "users.manage": "管理用户",
    "audit.read": "查看审计日志",
    "account.self": "管理本人账户",
}


def role_name(role: str) -> str:
    return ROLES[role][0] if role in ROLES else role


def allowed(role: str, permission: str) -> bool:
    """Whether ``role`` holds ``permission``; unknown roles and permissions hold nothing."""
    entry = ROLES.get(role)
    return bool(entry) and permission in entry[1] and permission in PERMISSIONS


@dataclass(frozen=True)
class Scope:
    """Where a user's permissions reach. ``everything``: the whole country. Otherwise only the
    listed regions (a subtree, every level) and agencies; both empty: nowhere."""

    everything: bool = False
    regions: frozenset[str] = field(default_factory=frozenset)
    agencies: frozenset[int] = field(default_factory=frozenset)

    def region(self, code: str | None) -> bool:
        return self.everything or (code is not None and code in self.regions)

    def agency(self, agency_id: int | None, region_code: str | None = None) -> bool:
        if self.everything:
            return True
        if agency_id is not None and agency_id in self.agencies:
            return True
        return region_code is not None and region_code in self.regions

    @property
    def empty(self) -> bool:
        return not self.everything and not self.regions and not self.agencies

    def allowed_regions(self) -> set[str] | None:
        """For queries: None = every region; a set (maybe empty) = only these."""
        return None if self.everything else set(self.regions)


NOWHERE = Scope()


def scope_for(role: str, region_code: str | None, agency_id: int | None, subtree: object) -> Scope:
    """The scope of a user. ``subtree(code) -> set[str]`` lists a region and every region under it.
    Any failure gives :data:`NOWHERE` (the check fails closed)."""
    try:
        if role in ("admin", "researcher"):
            return Scope(everything=True)
        if role in REGION_ROLES:
            if not region_code:
                return NOWHERE
            codes = frozenset(subtree(region_code))  # type: ignore[operator]
            return Scope(regions=codes) if region_code in codes else NOWHERE
        if role in AGENCY_ROLES:
            return Scope(agencies=frozenset({agency_id})) if agency_id else NOWHERE
    except Exception:  # noqa: BLE001 - an error in the check denies
        return NOWHERE
    return NOWHERE
