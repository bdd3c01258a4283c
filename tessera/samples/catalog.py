"""Static material of the clinic sample: Chinese names, service catalogs per specialty,
campaigns, tiers and seasonality. Data only, so the generator reads as a procedure."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Service", "SERVICES", "SURNAMES", "GIVEN", "COMPLAINTS", "CONSULTANTS", "CALLERS",
           "TIERS", "MONTH_WEIGHTS", "SPECIALTIES", "CAMPAIGN_TOPICS"]

SPECIALTIES = ("dental", "aesthetics", "tcm")

# The hundred most common surnames cover ~85% of people; weights favour the first ones.
SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
            "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱"
            "江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = ("伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华玉萍红建文辉力宁晨婷欣怡"
         "子涵浩然梓轩雨桐思远佳琪雅琴嘉怡宇航一诺依诺俊杰晓梅春燕海燕志强国强丹丹")


@dataclass(frozen=True)
class Service:
    name: str
    category: str
    price: float
    interval_days: int | None
    follow_up: str | None
    is_new: bool = False
    weight: float = 1.0


SERVICES: dict[str, tuple[Service, ...]] = {
    "dental": (
        Service("洗牙", "预防", 298, 180, "洗牙", weight=6),
        Service("涂氟", "儿童", 198, 180, "涂氟", weight=2),
        Service("补牙", "治疗", 600, 365, "洗牙", weight=3),
        Service("根管治疗", "治疗", 2800, 30, "烤瓷冠", weight=1.5),
        Service("烤瓷冠", "修复", 4500, 365, "洗牙", weight=1),
        Service("种植牙", "种植", 12800, 90, "种植复查", weight=0.8),
        Service("种植复查", "种植", 0, 365, "洗牙", weight=0.6),
        Service("隐形矫正", "矫正", 32000, 60, "矫正复诊", weight=0.4),
        Service("矫正复诊", "矫正", 300, 60, "矫正复诊", weight=1.2),
        Service("冷光美白", "美白", 2980, None, None, is_new=True, weight=0.7),
    ),
    "aesthetics": (
        Service("双眼皮", "眼部", 8800, 120, "隆鼻", weight=1),
        Service("隆鼻", "鼻部", 16800, 120, "下巴", weight=0.6),
        Service("下巴", "轮廓", 12800, None, None, weight=0.3),
        Service("水光针", "皮肤管理", 1680, 30, "水光针", weight=4),
        Service("光子嫩肤", "皮肤管理", 980, 30, "光子嫩肤", weight=4),
        Service("热玛吉", "抗衰", 19800, 365, "热玛吉", is_new=True, weight=0.5),
        Service("肉毒素除皱", "抗衰", 3800, 120, "肉毒素除皱", weight=1.5),
        Service("玻尿酸填充", "抗衰", 5800, 180, "玻尿酸填充", weight=1.2),
        Service("激光脱毛", "脱毛", 680, 45, "激光脱毛", weight=2.5),
        Service("皮肤检测", "咨询", 0, None, "水光针", weight=2),
    ),
    "tcm": (
        Service("中医问诊", "问诊", 150, 14, "中药调理", weight=5),
        Service("中药调理", "调理", 680, 30, "中医问诊", weight=4),
        Service("针灸", "针灸", 260, 7, "针灸", weight=3),
        Service("推拿", "推拿", 220, 7, "推拿", weight=3),
        Service("艾灸", "理疗", 180, 14, "艾灸", weight=2),
        Service("拔罐", "理疗", 120, None, None, weight=2),
        Service("三伏贴", "节气", 398, 365, "三九贴", is_new=True, weight=1),
        Service("三九贴", "节气", 398, 180, "三伏贴", weight=1),
        Service("膏方", "调理", 2680, 365, "膏方", weight=0.6),
        Service("体质辨识", "问诊", 0, None, "中药调理", weight=1),
    ),
}

COMPLAINTS: dict[str, tuple[str, ...]] = {
    "dental": ("预防洗牙", "牙痛出血", "修复", "种植", "矫正", "儿童", "美白"),
    "aesthetics": ("双眼皮", "鼻部", "下巴", "皮肤管理", "抗衰", "脱毛"),
    "tcm": ("调理", "针灸", "推拿", "失眠", "颈肩腰腿痛"),
}

CAMPAIGN_TOPICS: dict[str, tuple[str, ...]] = {
    "dental": ("种植牙专家会诊", "儿童涂氟节", "隐形矫正发布会", "洗牙特惠月", "口腔健康讲座"),
    "aesthetics": ("眼鼻整形专家日", "热玛吉新品发布", "水光焕肤特价", "医美沙龙体验", "抗衰私享会"),
    "tcm": ("名老中医坐诊", "三伏贴新品", "膏方节特价", "养生讲座体验", "针灸义诊"),
}

CONSULTANTS = ("张慧", "李婷", "王晓东", "陈静")
CALLERS = ("邀约专员1", "邀约专员2", "邀约专员3")

# (name, points threshold, discount)
TIERS = (("普通", 0, 0.0), ("白银", 5000, 0.02), ("黄金", 20000, 0.05),
         ("白金", 50000, 0.08), ("钻石", 100000, 0.12))

# Relative visit volume per calendar month: busy before the Spring Festival (Jan), in the
# summer holidays (Jul–Aug) and in the autumn promotions; quiet in February.
MONTH_WEIGHTS = (1.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.3, 1.4, 1.0, 1.1, 1.2, 1.2)
