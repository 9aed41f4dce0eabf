"""Names for a synthetic country: places made of characters seen in real place names, with the
real suffixes of each level, and the agencies of each level with the names they print.

Pure data and pure functions of an ``rng``: nothing here does I/O. Place names are two
characters (occasionally three) drawn from lists of characters common in Chinese place names,
never 乡 or 镇 (they would make a county's name read like a township's).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FIRST = (
    "安宝北滨博昌长常辰承崇大丹德东敦丰凤福阜富高广海汉和河鹤恒红洪湖华怀淮黄惠吉嘉建江金晋景靖"
    "九开康乐黎丽连临灵龙隆鲁罗洛茂梅美绵明南宁磐平浦祁启千清庆泉仁荣瑞三沙山上韶绍神石寿双顺泰"
    "太天通桐万望威文武西仙湘祥新信兴秀宣延阳耀宜义永玉元云枣漳昭真中舟珠资紫遵"
)
SECOND = (
    "安宝昌城川春达德定东丰峰福阜冈谷关光海河和湖华化江津康乐林陵隆门明宁平浦桥清庆泉山水顺台"
    "潭田亭通溪西兴阳源远原州洲庄泽沂邑阴营云漳岭滨坪塘湾峪口渡铺坝沟"
)
ETHNIC = ("壮族", "回族", "苗族", "彝族", "藏族", "蒙古族", "土家族", "侗族", "瑶族", "白族", "哈尼族", "傣族")
STREET_NAMES = ("城关", "东城", "西城", "南城", "北城", "新华", "人民路", "解放路", "中山路", "建设路",
                "文化路", "火车站", "东关", "西关", "城南", "城北", "滨河", "新城")
TOWN_NAMES = ("城关", "新集", "太平", "永安", "长乐", "龙泉", "石桥", "马家", "王庄", "李集", "张店", "黄土")


def place(rng: random.Random, three: float = 0.05) -> str:
    """A place name: two characters (three with probability ``three``), no character repeated."""
    a = rng.choice(FIRST)
    b = rng.choice(SECOND)
    while b == a:
        b = rng.choice(SECOND)
    if rng.random() < three:
        c = rng.choice(SECOND)
        while c in (a, b):
            c = rng.choice(SECOND)
        return a + b + c
    return a + b


def unique(rng: random.Random, used: set[str], make: object, tries: int = 200) -> str:
    """``make(rng)`` until a name not in ``used`` comes out (then added to it)."""
    assert callable(make)
    for _ in range(tries):
        name = make(rng)
        if name not in used:
            used.add(name)
            return name
    n = 2
    base = make(rng)
    while f"{base}{n}" in used:
        n += 1
    used.add(f"{base}{n}")
    return f"{base}{n}"


# ----------------------------------------------------------------------------- regions


@dataclass(frozen=True)
class RegionName:
    """A region's name as it calls itself, its bare stem and its suffix (省, 自治州, 县 …)."""

    name: str
    stem: str
    suffix: str

    @property
    def short(self) -> str:
        """The form used in compound names: 凉山彝族自治州 → 凉山州; others unchanged."""
        if self.suffix == "自治州":
            return self.stem[:2] + "州"
        return self.name

    @property
    def word(self) -> str:
        """The level word of the suffix: 县, 区, 市, 旗, 州, 省 … (县政府, 全区)."""
        return {"自治区": "区", "自治州": "州", "地区": "区", "街道": "街道"}.get(self.suffix, self.suffix[-1:])

    @property
    def administration(self) -> bool:
        """地区 and 盟 are governed by a 行政公署, not a 人民政府."""
        return self.suffix in ("地区", "盟")


def province_name(rng: random.Random, autonomous: bool) -> RegionName:
    stem = place(rng, three=0.1)
    if autonomous:
        full = stem + (rng.choice(ETHNIC) if rng.random() < 0.6 else "")
        return RegionName(full + "自治区", full, "自治区")
    return RegionName(stem + "省", stem, "省")


def city_name(rng: random.Random, autonomous_province: bool) -> RegionName:
    r = rng.random()
    stem = place(rng)
    if autonomous_province:
        suffix = "市" if r < 0.7 else ("盟" if r < 0.9 else "地区")
    else:
        suffix = "市" if r < 0.85 else ("自治州" if r < 0.95 else "地区")
    if suffix == "自治州":
        full = stem + rng.choice(ETHNIC) + (rng.choice(ETHNIC) if rng.random() < 0.3 else "")
        return RegionName(full + "自治州", full, "自治州")
    return RegionName(stem + suffix, stem, suffix)


def county_suffix(rng: random.Random, city: RegionName) -> str:
    r = rng.random()
    if city.suffix == "盟":
        return "旗" if r < 0.7 else ("市" if r < 0.9 else "县")
    if city.suffix in ("地区", "自治州"):
        return "县" if r < 0.75 else "市"
    return "区" if r < 0.35 else ("县" if r < 0.85 else "市")


def county_name(rng: random.Random, suffix: str) -> RegionName:
    stem = place(rng)
    return RegionName(stem + suffix, stem, suffix)


def township_suffix(rng: random.Random, county: RegionName) -> str:
    r = rng.random()
    if county.suffix == "区":
        return "街道" if r < 0.7 else "镇"
    if county.suffix == "市":
        return "街道" if r < 0.4 else ("镇" if r < 0.9 else "乡")
    return "镇" if r < 0.6 else ("乡" if r < 0.95 else "街道")


def township_name(rng: random.Random, suffix: str) -> RegionName:
    if suffix == "街道" and rng.random() < 0.35:
        stem = rng.choice(STREET_NAMES)
    elif suffix == "镇" and rng.random() < 0.15:
        stem = rng.choice(TOWN_NAMES)
    else:
        stem = place(rng, three=0.02)
    return RegionName(stem + suffix, stem, suffix)


# ----------------------------------------------------------------------------- agencies

# Departments: (field key, name at province level, at city level, at county level); None: the
# level has no such department. The field key decides the numbers a department reports
# (xxgk.corpus.country_cells) and what its prose speaks of (xxgk.corpus.country_prose).
DEPARTMENTS: tuple[tuple[str, str | None, str | None, str | None], ...] = (
    ("development", "发展和改革委员会", "发展和改革委员会", "发展和改革局"),
    ("education", "教育厅", "教育局", "教育局"),
    ("science", "科学技术厅", "科学技术局", "科学技术和工业信息化局"),
    ("industry", "工业和信息化厅", "工业和信息化局", None),
    ("police", "公安厅", "公安局", "公安局"),
    ("civil", "民政厅", "民政局", "民政局"),
    ("justice", "司法厅", "司法局", "司法局"),
    ("finance", "财政厅", "财政局", "财政局"),
    ("labour", "人力资源和社会保障厅", "人力资源和社会保障局", "人力资源和社会保障局"),
    ("land", "自然资源厅", "自然资源和规划局", "自然资源局"),
    ("ecology", "生态环境厅", "生态环境局", None),
    ("housing", "住房和城乡建设厅", "住房和城乡建设局", "住房和城乡建设局"),
    ("transport", "交通运输厅", "交通运输局", "交通运输局"),
    ("water", "水利厅", "水利局", "水利局"),
    ("agriculture", "农业农村厅", "农业农村局", "农业农村局"),
    ("commerce", "商务厅", "商务局", "商务局"),
    ("culture", "文化和旅游厅", "文化广电旅游局", "文化和旅游局"),
    ("health", "卫生健康委员会", "卫生健康委员会", "卫生健康局"),
    ("veterans", "退役军人事务厅", "退役军人事务局", "退役军人事务局"),
    ("emergency", "应急管理厅", "应急管理局", "应急管理局"),
    ("audit", "审计厅", "审计局", "审计局"),
    ("market", "市场监督管理局", "市场监督管理局", "市场监督管理局"),
    ("statistics", "统计局", "统计局", "统计局"),
    ("medical", "医疗保障局", "医疗保障局", "医疗保障局"),
    ("forestry", "林业局", "林业局", "林业局"),
    ("petition", "信访局", "信访局", "信访局"),
    ("assets", "国有资产监督管理委员会", "国有资产监督管理委员会", None),
    ("sports", "体育局", "体育局", None),
    ("urban", None, "城市管理局", "综合行政执法局"),
    ("approval", None, "行政审批服务局", "行政审批服务局"),
    ("grain", "粮食和物资储备局", None, None),
    ("drugs", "药品监督管理局", None, None),
    ("ethnic", "民族宗教事务委员会", "民族宗教事务局", None),
)
# Other agencies (kind "other"): vertical offices, public institutions, people's organisations.
OTHERS: dict[str, tuple[str, ...]] = {
    "province": ("气象局", "地震局", "档案馆", "红十字会", "供销合作社联合社", "公共资源交易中心"),
    "city": ("住房公积金管理中心", "公共资源交易中心", "气象局", "档案馆", "红十字会", "残疾人联合会"),
    "county": ("融媒体中心", "气象局", "档案馆", "残疾人联合会", "供销合作社联合社"),
}


def government_name(region: RegionName) -> str:
    return region.name + ("行政公署" if region.administration else "人民政府")


def office_name(region: RegionName, level: str) -> str:
    if region.administration:
        return region.name + "行政公署办公室"
    return region.name + ("人民政府办公厅" if level == "province" else "人民政府办公室")


def government_aliases(region: RegionName, prefix: str) -> tuple[str, ...]:
    """A government's other names: with its parent's prefix, short (县政府, 行署)."""
    if region.administration:
        return tuple(dict.fromkeys(x for x in (prefix + region.name + "行政公署", "行署") if x))
    out = [prefix + region.name + "人民政府"] if prefix else []
    if region.short != region.name:
        out.append(region.short + "人民政府")
    out += [region.short + "政府", region.word + "政府"]
    return tuple(dict.fromkeys(out))


def office_aliases(region: RegionName, prefix: str, level: str) -> tuple[str, ...]:
    if region.administration:
        return (region.name + "行署办公室", "行署办")
    room = "办公厅" if level == "province" else "办公室"
    out = [prefix + region.name + "人民政府" + room] if prefix else []
    out += [region.short + "政府" + room, region.word + "政府" + room, region.word + "政府办"]
    return tuple(dict.fromkeys(out))


def department_aliases(region: RegionName, prefix: str, unit: str) -> tuple[str, ...]:
    """A department's other names: 三门峡市陕州区教育局 → 陕州区教育局, 区教育局."""
    out = [prefix + region.name + unit] if prefix else []
    if region.short != region.name:
        out.append(region.short + unit)
    out.append(region.word + unit)
    return tuple(dict.fromkeys(out))


def township_names(town: RegionName, county: RegionName) -> tuple[str, tuple[str, ...]]:
    """(full name, aliases) of a township's or street's agency."""
    if town.suffix == "街道":
        full = county.name + town.name + "办事处"
        return full, (town.name + "办事处", town.name + "办", town.name)
    full = county.name + town.name + "人民政府"
    return full, (town.name + "人民政府", town.name + "政府")


def self_reference(kind: str, region: RegionName, unit: str) -> tuple[str, str]:
    """How a report speaks of its agency (我局, 本委) and of its area (全县, 全镇)."""
    if kind == "government":
        return f"我{region.word}", f"全{region.word}"
    if kind == "office":
        return ("我厅" if unit.endswith("厅") else "我办"), f"全{region.word}"
    if kind == "township":
        word = "街道" if region.suffix == "街道" else region.suffix
        return f"我{word}", f"全{word}"
    for end, me in (("委员会", "我委"), ("局", "我局"), ("厅", "我厅"), ("中心", "我中心")):
        if unit.endswith(end):
            return me, f"全{region.word}"
    return "我单位", f"全{region.word}"
