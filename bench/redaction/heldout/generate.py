#!/usr/bin/env python3
"""Held-out synthetic GP-record corpus for the redaction benchmark.

Written without reading Steward's detector, its data files or redact-synth, so that it measures
the engine on phrasing and names the engine's author did not choose. Standard library only;
deterministic for a given --seed and --docs.

usage: generate.py [--docs N] [--seed S] [--out DIR]

Writes into DIR (default bench/out/redaction-heldout):
  corpus.jsonl        one record per document, the format score.py and redact-bench read:
                      {"id", "doc_type", "file", "subject", "text", "gold": [...], "keep": [...]}
  docs/NNNN.txt|.csv  each document's text as a file (for `steward redact`)
  subjects/NNNN.json  each document's subject file (same shape as `steward redact --subject`)
  manifest.csv        subject,input,output per document
  organisation.json   the practice: name, address, phones, e-mails (all must be kept)
  staff.csv           the practice's staff: name,role (their names must be kept)
  trusts.json         other organisations in the corpus and their hospital-number formats
See README.md beside this file for span labels and conventions.
"""
import argparse
import csv
import datetime as dt
import json
import os
import random
import string

# --------------------------------------------------------------------------------------------
# Names, invented from syllables by origin so that they are not in anyone's gazetteer.
# A small share of common real surnames is mixed in, as in any real list.
# --------------------------------------------------------------------------------------------
ORIGINS = {
    "english": {
        "m": (["Al", "Bar", "Ced", "Dun", "Ed", "Gar", "Hal", "Os", "Rod", "Wil", "Ber", "Cuth", "Lan", "Mer", "Tob"],
              ["ric", "win", "mund", "ley", "bert", "ton", "wyn", "ford", "old", "ian", "by"]),
        "f": (["El", "Ros", "Mar", "Win", "Hil", "Iv", "Gwen", "Eth", "Lor", "Mab", "Bry", "Cor", "Dor"],
              ["wen", "ena", "ette", "ora", "ith", "elle", "ney", "ia", "abel", "wyn", "een"]),
        "s": (["Brack", "Thorn", "Ash", "Kettle", "Wex", "Hollin", "Mor", "Ruddle", "Pim", "Stan", "Quarn",
               "Yarn", "Felp", "Gorm", "Tolle", "Crum", "Bell", "Hask", "Lumb", "Sprock", "Waddle", "Nettle"],
              ["combe", "ley", "by", "holt", "ington", "well", "ridge", "stone", "ham", "worth", "field",
               "ery", "ock", "ell", "shaw", "dale", "thorpe", "wick"]),
        "common": ["King", "Quinn", "Wood", "Taylor", "Shaw", "Hughes", "Palmer", "Fletcher", "Marsh", "Reed"],
    },
    "south_asian": {
        "m": (["Ra", "Vi", "Har", "Ani", "Su", "Pra", "Deve", "Ma", "Kish", "Nav", "Jas", "Bal", "Gur"],
              ["jesh", "kram", "deep", "nav", "ket", "mit", "shan", "ran", "vinder", "esh", "jit", "want"]),
        "f": (["Pri", "Anu", "Ka", "Su", "Mee", "Ha", "Na", "Jas", "Ra", "Shi", "Dee", "Man"],
              ["ya", "shka", "vita", "nita", "ra", "rleen", "preet", "dhi", "mita", "ani", "jot"]),
        "s": (["Cha", "Bhat", "Kha", "Ran", "Sid", "Mal", "Gre", "Dha", "Ven", "Kul", "Tha", "Sand", "Mehr", "Joh"],
              ["hwal", "andani", "nagar", "kar", "dhu", "aria", "wal", "iya", "kumar", "ker", "ota", "ial", "otra"]),
        "common": ["Patel", "Shah", "Singh", "Ahmed", "Begum", "Hussain", "Kaur", "Mistry"],
    },
    "west_african": {
        "m": (["Ade", "Olu", "Chi", "Obi", "Kwa", "Tun", "Uche", "Eme", "Kola", "Seg"],
              ["bayo", "wale", "ka", "yinka", "dele", "me", "ji", "ke", "seun", "nna", "tunde"]),
        "f": (["Nne", "Ife", "Ama", "Fola", "Chi", "Yet", "Ebi", "Adu", "Nke"],
              ["oma", "ka", "nna", "mide", "ke", "unde", "sola", "chi", "ruka", "mi"]),
        "s": (["Ade", "Oke", "Nwa", "Ogun", "Eze", "Abi", "Ola", "Ako", "Onu", "Iwu", "Bada", "Fash", "Ama"],
              ["yemi", "nkwo", "chukwu", "tunde", "ola", "sanya", "kunle", "bode", "oha", "eji", "nwi", "ebo"]),
        "common": ["Okafor", "Mensah", "Adeyemi", "Boateng", "Okonkwo", "Owusu"],
    },
    "polish": {
        "m": (["Tom", "Kaz", "Prze", "Grze", "Wojt", "Bar", "Jar", "Mar", "Zbig", "Lesz"],
              ["asz", "imierz", "myslaw", "gorz", "ek", "tosz", "oslaw", "iusz", "niew", "ek"]),
        "f": (["Agn", "Mal", "Kat", "Zof", "Jadw", "Bog", "Dor", "Ew", "Hal"],
              ["ieszka", "gorzata", "arzyna", "ia", "iga", "uslawa", "ota", "elina", "ina"]),
        "s": (["Wisz", "Kowal", "Grab", "Przyb", "Szcz", "Wron", "Zaj", "Lew", "Domb", "Chmiel", "Kacz", "Jab"],
              ["niewski", "czyk", "owski", "ylski", "epanik", "ecki", "arek", "inski", "ewicz", "onska"]),
        "common": ["Nowak", "Kowalski", "Wojcik", "Kaminska"],
    },
    "arabic": {
        "m": (["Abd", "Has", "Kha", "Mus", "Tar", "Yus", "Sa", "Ha", "Na", "Ja"],
              ["ullah", "san", "lid", "tafa", "iq", "ef", "mir", "zim", "bil", "mal"]),
        "f": (["Fat", "Lay", "Ami", "Ya", "Nour", "Sal", "Ha", "Rim", "Zay", "Sa"],
              ["ima", "la", "ra", "smin", "een", "ma", "na", "nab", "wsan"]),
        "s": (["Qur", "Mans", "Had", "Sha", "Ras", "Jab", "Naj", "Kha", "Zub", "Tam"],
              ["ashi", "oor", "dad", "mmari", "hid", "eri", "jar", "tib", "aidi", "imi"]),
        "common": ["Ali", "Hassan", "Rahman", "Mahmoud"],
    },
    "east_asian": {
        "m": (["Xiao", "Jia", "Wei", "Zhi", "Yu", "Ming", "Qing", "Rui", "Duc", "Minh"],
              ["hao", "jun", "tao", "long", "feng", "", "an", "kai"]),
        "f": (["Xiao", "Jia", "Hui", "Li", "Yu", "Qing", "Xin", "Thu", "Lan"],
              ["ling", "yi", "fen", "wen", "lan", "mei", "", "hong"]),
        "s": (["Qiu", "Lau", "Ng", "Tsang", "Yeung", "Kwok", "Fung", "Hsu", "Lo", "Xie", "Cao", "Tse", "Mok",
               "Pham", "Vu", "Dang", "Bui", "Ngo", "Duong"], [""]),
        "common": ["Wong", "Chen", "Nguyen", "Li"],
    },
    "irish_scottish": {
        "m": (["Cia", "Eo", "Ruai", "Don", "Fer", "Cath", "Sea", "Dar", "Lach"],
              ["ran", "in", "dhri", "al", "gus", "mus", "ach", "lan"]),
        "f": (["Sio", "Aoi", "Nia", "Ros", "Mai", "Grai", "Eil", "Sor", "Cait"],
              ["bhan", "fe", "mh", "ine", "read", "ne", "idh", "cha", "lin"]),
        "s": (["O'Dwy", "O'Cal", "O'Suil", "O'Flah", "O'Ria", "MacKin", "MacLach", "McGill", "McCor", "McIlw",
               "Dun", "Kil", "Gall"],
              ["er", "laghan", "livan", "erty", "rdan", "non", "lan", "ivray", "raith", "ey", "more"]),
        "common": ["Murphy", "Kelly", "Fraser", "Doyle"],
    },
    "somali": {
        "m": (["Abdi", "Maxa", "Xa", "Cal", "Guu", "Ilyas", "Shar"], ["rahman", "med", "an", "di", "mo", "i", "ke"]),
        "f": (["Hodan", "Ilhaan", "Ayaan", "Faa", "Sah", "Ubah", "Ifra"], ["", "wa", "ro", "do", "a", "n"]),
        "s": (["Wars", "Gul", "Hir", "Dah", "Ega", "Jam", "War", "Xas", "Cab"], ["ame", "ed", "si", "ir", "al", "aale", "sane"]),
        "common": ["Farah", "Yusuf", "Mohamud", "Hassan"],
    },
    "mediterranean": {
        "m": (["Stav", "Dim", "Yian", "Mehm", "Kem", "Ru", "Nuno", "Emr", "Serk", "Tiag"],
              ["ros", "itri", "nis", "et", "al", "i", "go", "ah", "an", "o"]),
        "f": (["Ele", "Desp", "Ays", "Fer", "Ines", "Mar", "Tul", "Zey", "Rit"],
              ["ni", "oina", "e", "ide", "ana", "ay", "nep", "a", "ika"]),
        "s": (["Pap", "Kar", "Yil", "Dem", "Alv", "Fer", "Kons", "Stam", "Oz", "Cost", "Vass", "Sar"],
              ["adopoulos", "akis", "maz", "irel", "ares", "reira", "tantinou", "atiou", "turk", "inho", "iliou", "oglu"]),
        "common": ["Silva", "Yilmaz", "Georgiou", "Santos"],
    },
}
ORIGIN_WEIGHTS = {"english": 30, "south_asian": 15, "west_african": 10, "polish": 8, "arabic": 7,
                  "east_asian": 7, "irish_scottish": 9, "somali": 5, "mediterranean": 9}
NICKNAMES = ["Bunty", "Babs", "Tosh", "Dee", "Sunny", "Kaz", "Bobby", "Mags", "Jojo", "Nana", "Biggie",
             "Pip", "Sasha", "Ziggy", "Kiki", "Mo", "Tink", "Lulu", "Chip", "Taz"]


def cap(s):
    if s.startswith(("O'", "Mac", "Mc")) and len(s) > 3:
        i = 2 if s.startswith(("O'", "Mc")) else 3
        return s[:i] + s[i].upper() + s[i + 1:]
    return s[:1].upper() + s[1:].lower()


class Person:
    def __init__(self, rng, sex=None, origin=None, surname=None, dob=None, title=None):
        self.sex = sex or rng.choice("mf")
        self.origin = origin or rng.choices(list(ORIGIN_WEIGHTS), list(ORIGIN_WEIGHTS.values()))[0]
        o = ORIGINS[self.origin]
        a, b = o[self.sex]
        self.first = cap(rng.choice(a) + rng.choice(b))
        if len(self.first) < 3:
            self.first = cap(rng.choice(a) + "na")
        if surname:
            self.last = surname
        elif rng.random() < 0.15:
            self.last = rng.choice(o["common"])
        else:
            a, b = o["s"]
            self.last = cap(rng.choice(a) + rng.choice(b))
            if rng.random() < 0.05:
                p2 = Person(rng)
                self.last = f"{self.last}-{p2.last}"
        self.middle = cap(rng.choice(o[self.sex][0]) + rng.choice(o[self.sex][1])) if rng.random() < 0.3 else None
        self.dob = dob
        self.title = title or (rng.choice(["Mr"]) if self.sex == "m" else rng.choice(["Mrs", "Ms", "Miss", "Ms"]))

    @property
    def full(self):
        return f"{self.first} {self.last}"


def nhs_number(rng):
    while True:
        d = [rng.randint(0, 9) for _ in range(9)]
        if d[0] == 0:
            continue
        s = sum(x * w for x, w in zip(d, range(10, 1, -1)))
        c = 11 - s % 11
        if c == 11:
            c = 0
        if c == 10:
            continue
        return "".join(map(str, d + [c]))


def fmt_nhs(n, rng):
    return rng.choice([f"{n[:3]} {n[3:6]} {n[6:]}"] * 3 + [n, f"{n[:3]}-{n[3:6]}-{n[6:]}"])


def ni_number(rng):
    first = [c for c in "ABCEGHJKLMNOPRSTWXYZ"]
    second = [c for c in "ABCEGHJKLMNPRSTWXYZ"]
    while True:
        p = rng.choice(first) + rng.choice(second)
        if p not in ("BG", "GB", "NK", "KN", "TN", "NT", "ZZ"):
            break
    digits = "".join(str(rng.randint(0, 9)) for _ in range(6))
    suf = rng.choice("ABCD")
    if rng.random() < 0.5:
        return f"{p} {digits[:2]} {digits[2:4]} {digits[4:]} {suf}"
    return f"{p}{digits}{suf}"


# Ofcom ranges reserved for drama: no real subscriber has these numbers.
GEO = [("0113", "496 0"), ("0114", "496 0"), ("0115", "496 0"), ("0116", "496 0"), ("0117", "496 0"),
       ("0118", "496 0"), ("0121", "496 0"), ("0131", "496 0"), ("0141", "496 0"), ("0151", "496 0"),
       ("0161", "496 0"), ("020", "7946 0"), ("0191", "498 0"), ("029", "2018 0"), ("01632", "960 ")]


def phone(rng, mobile=None):
    if mobile is None:
        mobile = rng.random() < 0.55
    if mobile:
        n = f"{rng.randint(0, 999):03d}"
        return rng.choice([f"07700 900{n}", f"07700900{n}", f"+44 7700 900{n}", f"07700-900-{n}",
                           f"07700 900 {n}", f"(07700) 900{n}"])
    code, mid = rng.choice(GEO)
    n = f"{rng.randint(0, 999):03d}"
    if code == "01632":
        local = f"960{n}"
        return rng.choice([f"01632 960{n}", f"(01632) 960 {n}", f"01632-960{n}", f"01632960{n}"])
    m = mid.replace(" ", "")
    if len(code) == 3:  # 020 7946 0xxx
        return rng.choice([f"{code} {m[:4]} {m[4:]}{n}", f"({code}) {m[:4]} {m[4:]}{n}", f"{code}{m}{n}"])
    return rng.choice([f"{code} {m[:3]} {m[3:]}{n}", f"({code}) {m[:3]} {m[3:]}{n}", f"{code}-{m[:3]}-{m[3:]}{n}",
                       f"{code}{m}{n}", f"{code} {m}{n}"])


MAIL_DOMAINS = ["example.com", "example.co.uk", "example.net", "example.org", "mail.example", "post.example.uk"]


def email(rng, p):
    f, l = p.first.lower(), p.last.lower().replace("'", "").replace(" ", "")
    y = rng.randint(50, 99)
    local = rng.choice([f"{f}.{l}", f"{f[0]}{l}", f"{l}.{f[0]}", f"{f}{y}", f"{f}_{l[:3]}{y}", f"{l}{f[0]}{y}",
                        f"{f}.{l}{rng.randint(1, 9)}"])
    e = f"{local}@{rng.choice(MAIL_DOMAINS)}"
    return e.upper() if rng.random() < 0.05 else e


# --------------------------------------------------------------------------------------------
# Places.
# --------------------------------------------------------------------------------------------
STREET_A = ["Tol", "Harrow", "Cop", "Wyn", "Sedge", "Bram", "Quen", "Hob", "Lark", "Ferr", "Nether", "Swale",
            "Bur", "Cray", "Dun", "Pell", "Mord", "Gilly", "Rook", "Vetch", "Cas", "Ulver", "Yeld", "Ox"]
STREET_B = ["penny", "dean", "stone", "ley", "mere", "wick", "brook", "combe", "ridge", "holme", "thwaite",
            "gate", "ington", "by", "hurst", "cote", "field", "ham"]
STREET_PEOPLE = ["Albert", "Tennyson", "Gladstone", "Nightingale", "Seacole", "Mandela", "Cavell", "Brunel",
                 "Byron", "Pankhurst", "Attlee", "Wilberforce", "Elgar", "Turing", "Newton", "Keats"]
STREET_NATURE = ["Greenfield", "Church", "Mill", "Orchard", "Park", "Station", "Willow", "Chestnut", "Beech",
                 "Meadow", "Foundry", "Tannery", "Ropewalk", "Kiln", "Quarry", "Pinfold", "Coronation", "Jubilee"]
STREET_SUFFIX = ["Road", "Street", "Lane", "Grove", "Close", "Fold", "Garth", "Wynd", "Chase", "Rise", "Mews",
                 "Croft", "Row", "Terrace", "Walk", "Way", "Drive", "Crescent", "Parade", "Gardens", "Vale", "Hill",
                 "Court", "Place", "Square", "Avenue", "Green", "Meadows", "End", "Gate", "Yard", "Brow", "Loke",
                 "Twitten", "Bank", "Leys", "View", "Side"]
ABBR = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Close": "Cl", "Grove": "Gr", "Crescent": "Cres",
        "Drive": "Dr", "Lane": "Ln", "Terrace": "Terr", "Gardens": "Gdns", "Place": "Pl", "Square": "Sq"}
HOUSE_NAMES = ["The Laurels", "Meadow View", "Holly Lodge", "Rose Cottage", "Ty Gwyn", "Fernlea", "The Old Forge",
               "Orchard House", "The Willows", "Hillcrest", "Rowan Cottage", "Brook House", "The Granary",
               "Swallows Barn", "Little Acre", "Windrush", "The Old Rectory", "Kingfisher Cottage", "Pear Tree House",
               "Ivy Bank", "Greystones", "The Coach House", "Sunnyside", "Ashgrove", "Hazeldene", "Bramble End"]
BUILDINGS = ["Cavendish House", "Priory Court", "Victoria Mansions", "Harbour Point", "Mill Wharf", "Regent Court",
             "Beacon Heights", "Foundry Lofts", "St Anne's Court", "Lantern House"]
REAL_TOWNS = [("Reading", "RG"), ("Leeds", "LS"), ("Bristol", "BS"), ("Luton", "LU"), ("Wigan", "WN"),
              ("Derby", "DE"), ("Norwich", "NR"), ("Swindon", "SN"), ("Preston", "PR"), ("Exeter", "EX"),
              ("Bradford", "BD"), ("Leicester", "LE"), ("Sheffield", "S"), ("Manchester", "M"), ("Birmingham", "B")]
TOWN_A = ["Kettle", "North", "Sedge", "Wyn", "Cray", "Hob", "Swale", "Ash", "Lang", "Brad", "Ul", "Mar", "Thorn",
          "Ember", "Whit", "Stan"]
TOWN_B = ["by", "wold", "combe", "ham", "bridge", "thwaite", "wick", "ford", "ton", "ley", "caster", "bury", "mouth"]
TOWN_C = ["", "", "", " Magna", " Parva", " Regis", "-on-Sea", "-under-Lyne", " St Mary", " Bridge", " Green"]
AREAS = ["AL", "BA", "BH", "BN", "CB", "CM", "CT", "DH", "DN", "GL", "GU", "HG", "HP", "HU", "IP", "KT", "LA",
         "LN", "ME", "MK", "NE", "NG", "NN", "OX", "PE", "PL", "PO", "SG", "SK", "SL", "SO", "SP", "SR", "ST",
         "TA", "TN", "TQ", "TS", "WA", "WF", "WR", "YO", "E", "N", "W", "SE", "NW", "SW"]
INWARD = "ABDEFGHJLNPQRSTUWXYZ"


def postcode(rng, area):
    d = rng.randint(1, 29) if len(area) == 2 else rng.randint(1, 20)
    out = f"{area}{d}"
    if rng.random() < 0.05 and len(area) == 1:
        out = f"{area}{rng.randint(1, 9)}{rng.choice('ABCDEHJKLMNPRSTUVWXY')}"
    return f"{out} {rng.randint(0, 9)}{rng.choice(INWARD)}{rng.choice(INWARD)}"


def town(rng):
    if rng.random() < 0.3:
        return rng.choice(REAL_TOWNS)
    return cap(rng.choice(TOWN_A) + rng.choice(TOWN_B)) + rng.choice(TOWN_C), rng.choice(AREAS)


def street_name(rng):
    r = rng.random()
    if r < 0.5:
        stem = cap(rng.choice(STREET_A) + rng.choice(STREET_B))
    elif r < 0.7:
        stem = rng.choice(STREET_PEOPLE)
    elif r < 0.78:
        stem = Person(rng).last  # streets named after people on new estates
    else:
        stem = rng.choice(STREET_NATURE)
    return f"{stem} {rng.choice(STREET_SUFFIX)}"


class Address:
    def __init__(self, rng, near=None):
        r = rng.random()
        self.street = street_name(rng)
        self.house = None
        self.flat = None
        self.number = None
        if r < 0.22:
            self.house = rng.choice(HOUSE_NAMES)
        elif r < 0.32:
            self.flat = f"{rng.choice(['Flat', 'Flat', 'Apartment', 'Apt'])} {rng.randint(1, 40)}"
            self.house = rng.choice(BUILDINGS) if rng.random() < 0.6 else None
            self.number = rng.randint(1, 220) if self.house is None else None
        else:
            self.number = rng.randint(1, 240)
            if rng.random() < 0.06:
                self.number = f"{self.number}{rng.choice('ab')}"
        self.locality = None
        if near:
            self.town, self.area = near.town, near.area
        else:
            self.town, self.area = town(rng)
        if rng.random() < 0.15:
            self.locality = cap(rng.choice(TOWN_A) + rng.choice(TOWN_B)) + rng.choice(["", " Village", " Green", " End"])
        self.postcode = postcode(rng, self.area)

    def street_lines(self):
        """The lines that locate the building: each is a street_address span."""
        if self.flat and self.house:
            return [f"{self.flat}, {self.house}", self.street]
        if self.flat:
            return [f"{self.flat}, {self.number} {self.street}"]
        if self.house:
            return [self.house, self.street]
        return [f"{self.number} {self.street}"]

    def one_line(self):
        return ", ".join(self.street_lines() + ([self.locality] if self.locality else []) + [self.town]) + " " + self.postcode


# --------------------------------------------------------------------------------------------
# Dates.
# --------------------------------------------------------------------------------------------
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
MONTH = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
         "November", "December"]


def ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


DOB_STYLES = ["dd-Mon-yyyy", "d/m/yy", "ordinal", "dd.mm.yyyy", "Month d, yyyy", "dd/mm/yyyy", "iso",
              "d Mon yyyy", "ddMONyyyy", "d Month yyyy", "dd/mm/yy", "dd-mm-yyyy", "d.m.yyyy", "dd Mon yy",
              "ordinal of"]


def fmt_date(d, style):
    if style == "dd-Mon-yyyy":
        return f"{d.day:02d}-{MON[d.month - 1]}-{d.year}"
    if style == "d/m/yy":
        return f"{d.day}/{d.month}/{d.year % 100:02d}"
    if style == "ordinal":
        return f"{ordinal(d.day)} {MONTH[d.month - 1]} {d.year}"
    if style == "ordinal of":
        return f"{ordinal(d.day)} of {MONTH[d.month - 1]} {d.year}"
    if style == "dd.mm.yyyy":
        return f"{d.day:02d}.{d.month:02d}.{d.year}"
    if style == "d.m.yyyy":
        return f"{d.day}.{d.month}.{d.year}"
    if style == "Month d, yyyy":
        return f"{MONTH[d.month - 1]} {d.day}, {d.year}"
    if style == "dd/mm/yyyy":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if style == "dd/mm/yy":
        return f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"
    if style == "dd-mm-yyyy":
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if style == "iso":
        return d.isoformat()
    if style == "d Mon yyyy":
        return f"{d.day} {MON[d.month - 1]} {d.year}"
    if style == "dd Mon yy":
        return f"{d.day:02d} {MON[d.month - 1]} {d.year % 100:02d}"
    if style == "ddMONyyyy":
        return f"{d.day:02d}{MON[d.month - 1].upper()}{d.year}"
    if style == "d Month yyyy":
        return f"{d.day} {MONTH[d.month - 1]} {d.year}"
    raise ValueError(style)


def rand_date(rng, y0, y1):
    a = dt.date(y0, 1, 1).toordinal()
    b = dt.date(y1, 12, 28).toordinal()
    return dt.date.fromordinal(rng.randint(a, b))


# --------------------------------------------------------------------------------------------
# Clinical vocabulary (all of it must be kept).
# --------------------------------------------------------------------------------------------
DRUGS = ["amlodipine 5 mg once daily", "levothyroxine 75 micrograms OD", "ramipril 2.5mg od",
         "metformin 500 mg BD", "atorvastatin 20mg ON", "sertraline 50 mg OD", "co-codamol 30/500 two tablets QDS PRN",
         "salbutamol 100 micrograms/dose inhaler 2 puffs PRN", "Fostair 100/6 two puffs BD", "Adcal-D3 one tablet BD",
         "apixaban 5 mg BD", "bisoprolol 2.5 mg OM", "furosemide 40 mg OM", "omeprazole 20 mg OD",
         "mirtazapine 15 mg nocte", "Lantus 18 units at night", "methotrexate 15 mg once weekly (Fridays)",
         "folic acid 5 mg once weekly", "Movicol 1 sachet BD", "Oramorph 2.5-5 mL PRN", "Epilim Chrono 500 mg BD",
         "Lamictal 100 mg BD", "Trimbow 2 puffs BD", "nitrofurantoin 100 mg MR BD for 3 days",
         "doxycycline 200 mg stat then 100 mg OD", "prednisolone 30 mg OD for 5 days", "Sando-K 2 tablets TDS",
         "ferrous fumarate 210 mg BD", "vitamin D 800 units daily", "Zomorph 10 mg BD", "alendronic acid 70 mg weekly",
         "Estradot 50 micrograms patch twice weekly", "Utrogestan 100 mg nocte", "Clenil Modulite 100 2 puffs BD",
         "edoxaban 60 mg OD", "tamsulosin 400 micrograms OD", "Forceval one capsule daily", "Fultium-D3 3,200 units daily"]
RESULTS = [("Hb", "g/L", 95, 160, 0), ("eGFR", "mL/min/1.73m2", 25, 90, 0), ("HbA1c", "mmol/mol", 38, 96, 0),
           ("TSH", "mU/L", 0.1, 9.5, 1), ("ferritin", "micrograms/L", 6, 300, 0), ("CRP", "mg/L", 1, 180, 0),
           ("Na", "mmol/L", 128, 145, 0), ("K", "mmol/L", 3.2, 5.9, 1), ("B12", "ng/L", 120, 700, 0),
           ("folate", "ug/L", 2.1, 15, 1), ("PSA", "ug/L", 0.4, 12, 1), ("ALT", "U/L", 8, 120, 0),
           ("cholesterol", "mmol/L", 3.1, 8.2, 1), ("INR", "", 0.9, 4.1, 1), ("urine ACR", "mg/mmol", 0.5, 30, 1),
           ("WCC", "x10^9/L", 2.5, 18, 1), ("platelets", "x10^9/L", 90, 480, 0), ("calcium (adj)", "mmol/L", 2.05, 2.9, 2),
           ("ESR", "mm/hr", 2, 90, 0), ("vitamin D", "nmol/L", 12, 110, 0)]
LAB_TABLE = [("Haemoglobin", "g/L", "130 - 170", 95, 175, 0), ("White cell count", "x10^9/L", "4.0 - 11.0", 2.5, 16, 1),
             ("Platelets", "x10^9/L", "150 - 400", 90, 480, 0), ("Sodium", "mmol/L", "133 - 146", 128, 148, 0),
             ("Potassium", "mmol/L", "3.5 - 5.3", 3.1, 6.0, 1), ("Urea", "mmol/L", "2.5 - 7.8", 2.0, 19.0, 1),
             ("Creatinine", "umol/L", "59 - 104", 48, 260, 0), ("eGFR", "mL/min/1.73m2", ">90", 22, 90, 0),
             ("ALT", "U/L", "0 - 41", 8, 140, 0), ("Bilirubin", "umol/L", "0 - 21", 3, 45, 0),
             ("Alk phos", "U/L", "30 - 130", 40, 400, 0), ("Albumin", "g/L", "35 - 50", 26, 50, 0),
             ("CRP", "mg/L", "0 - 5", 1, 180, 0), ("HbA1c", "mmol/mol", "20 - 41", 32, 110, 0),
             ("TSH", "mU/L", "0.27 - 4.2", 0.05, 12, 2), ("Free T4", "pmol/L", "12 - 22", 8, 35, 1),
             ("Ferritin", "ug/L", "30 - 400", 5, 600, 0), ("Vitamin B12", "ng/L", "197 - 771", 110, 900, 0)]
EPONYMS = ["Tinel's sign", "Phalen's test", "Murphy's sign", "Romberg's test", "Kernig's sign", "Trendelenburg gait",
           "Parkinson's disease", "Crohn's disease", "Hashimoto's thyroiditis", "Dupuytren's contracture", "Bell's palsy",
           "Barrett's oesophagus", "Alzheimer's disease", "Graves' disease", "Addison's disease", "Raynaud's phenomenon",
           "Baker's cyst", "Colles' fracture", "Meniere's disease", "Sjogren's syndrome", "Paget's disease",
           "Guillain-Barre syndrome", "Wells score", "Glasgow Coma Scale", "Epley manoeuvre", "Dix-Hallpike test",
           "Simmonds' test", "McMurray's test", "Lachman test", "Finkelstein's test", "Gillick competence",
           "Fraser guidelines", "Hodgkin lymphoma", "Heberden's nodes", "Bouchard's nodes", "Cheyne-Stokes breathing",
           "Korsakoff syndrome", "Osgood-Schlatter disease", "Down syndrome", "Asperger's", "Huntington's disease",
           "Wernicke's encephalopathy", "Tanner stage 3", "Rockwood frailty score 6", "Waterlow score 14"]
SNOMED = [("Essential hypertension", "59621000"), ("Type 2 diabetes mellitus", "44054006"), ("Asthma", "195967001"),
          ("Chronic obstructive lung disease", "13645005"), ("Depressive disorder", "35489007"),
          ("Atrial fibrillation", "49436004"), ("Heart failure", "84114007"), ("Anxiety disorder", "197480006"),
          ("Osteoarthritis", "396275006"), ("Rheumatoid arthritis", "69896004"), ("Hypothyroidism", "40930008"),
          ("Cerebrovascular accident", "230690007"), ("Chronic kidney disease stage 3", "433144002"),
          ("Migraine", "37796009"), ("Gout", "90560007"), ("Iron deficiency anaemia", "87522002")]
READ = ["G20..", "C10F.", "H33..", "XaIeq", "G573.", "1Z12.", "E2003", "N245.", "XE0Uc", "9OX4.", "8HTJ.", "66Ad."]
OBS = ["BP {s}/{d}", "pulse {p} reg", "temp {t} C. O/E", "SpO2 {o}% on air", "RR {r}", "BMI {b}", "weight {w} kg",
       "PEFR {pf} L/min", "CRB-65 score {c}", "GCS 15/15", "NEWS2 {n}", "HR {p} irreg irreg", "cap refill < 2 s"]
PROBLEMS = ["low back pain", "UTI symptoms", "chest infection", "low mood", "fatigue", "knee pain", "palpitations",
            "dizziness", "headaches", "rash on both forearms", "reflux", "poor sleep", "ankle swelling",
            "numbness in the right hand", "breathlessness on exertion", "weight loss", "a fall at home",
            "memory concerns", "heavy periods", "a cough for three weeks"]
PLANS = ["safety-netted, to return if worse", "bloods requested", "referred to physio", "2WW referral sent",
         "review in 2 weeks", "med review booked with pharmacist", "advised paracetamol and rest",
         "ECG arranged", "urine MC&S sent", "sick note issued for 2 weeks", "SR for repeat meds",
         "for spirometry", "fit note: may be fit with amended duties", "referred to IAPT (self-referral info given)",
         "ADVICE: see leaflet"]
ROLES = [("GP Partner", "Dr"), ("GP Partner", "Dr"), ("Salaried GP", "Dr"), ("Salaried GP", "Dr"), ("GP Registrar", "Dr"),
         ("Advanced Nurse Practitioner", None), ("Practice Nurse", None), ("Practice Nurse", None),
         ("Healthcare Assistant", None), ("Clinical Pharmacist", None), ("Social Prescribing Link Worker", None),
         ("Practice Manager", None), ("Receptionist", None), ("Receptionist", None), ("Physician Associate", None),
         ("Paramedic Practitioner", None), ("Care Coordinator", None), ("Mental Health Practitioner", None),
         ("Secretary", None), ("Phlebotomist", None)]
REL_M = ["father", "son", "husband", "brother", "nephew", "uncle", "grandson", "stepfather", "son-in-law",
         "partner", "ex-partner", "cousin", "father-in-law", "boyfriend", "stepson", "godfather"]
REL_F = ["mother", "daughter", "wife", "sister", "niece", "aunt", "granddaughter", "stepmother", "daughter-in-law",
         "partner", "ex-partner", "cousin", "mother-in-law", "girlfriend", "stepdaughter", "fiancee"]
NONFAMILY = ["neighbour", "friend", "lodger", "landlord", "landlady", "carer", "befriender", "flatmate", "ex-husband",
             "ex-wife", "employer"]
MOVE_VERBS = ["moved to", "moved out to", "has relocated to", "is now living at", "was rehoused to",
              "is staying at", "has gone to live at", "moved in with friends at", "now lives at", "new address is",
              "has been placed at", "is sofa-surfing at", "moved back to"]


# --------------------------------------------------------------------------------------------
# The document under construction: text plus labelled spans.
# --------------------------------------------------------------------------------------------
class Doc:
    def __init__(self, rng, typo_rate):
        self.rng = rng
        self.parts = []
        self.n = 0
        self.gold = []
        self.keep = []
        self.typo_rate = typo_rate

    def _add(self, s):
        self.parts.append(s)
        self.n += len(s)

    def t(self, s):
        """Plain text, with the occasional typing mistake."""
        if self.typo_rate and s:
            s = typos(self.rng, s, self.typo_rate)
        self._add(s)
        return self

    def raw(self, s):
        self._add(s)
        return self

    def red(self, s, entity, tag):
        self.gold.append({"start": self.n, "end": self.n + len(s), "entity": entity, "kind": "third_party",
                          "tag": tag, "text": s})
        self._add(s)
        return self

    def kp(self, s, entity, kind, tag=""):
        self.keep.append({"start": self.n, "end": self.n + len(s), "entity": entity, "kind": kind, "tag": tag,
                          "text": s})
        self._add(s)
        return self

    def text(self):
        return "".join(self.parts)


def typos(rng, s, rate):
    out = []
    for w in s.split(" "):
        if len(w) >= 5 and w.isalpha() and w.islower() and rng.random() < rate:
            i = rng.randint(1, len(w) - 2)
            k = rng.randint(0, 3)
            if k == 0:
                w = w[:i] + w[i + 1] + w[i] + w[i + 2:]
            elif k == 1:
                w = w[:i] + w[i + 1:]
            elif k == 2:
                w = w[:i] + w[i] + w[i:]
            else:
                w = w[:i] + rng.choice("asdfghjklertyuio") + w[i + 1:]
        out.append(w)
    s = " ".join(out)
    if rng.random() < rate * 2:
        s = s.replace(". ", ".  ", 1)
    if rng.random() < rate:
        s = s.replace(", ", ",", 1)
    return s


# --------------------------------------------------------------------------------------------
# Writing people, addresses and dates into a document.
# --------------------------------------------------------------------------------------------
def name_forms(rng, p, allow_first=True):
    forms = ["full", "title_surname", "title_full", "upper_surname_first", "initial_surname", "full_upper"]
    weights = [30, 25, 10, 6, 8, 4]
    if allow_first:
        forms.append("first"); weights.append(15)
    return rng.choices(forms, weights)[0]


def put_name(doc, p, form, write):
    """write(text) labels one span; titles are written outside the span."""
    if form == "full":
        write(p.full)
    elif form == "title_surname":
        doc.raw(p.title + " "); write(p.last)
    elif form == "title_full":
        doc.raw(p.title + " "); write(p.full)
    elif form == "upper_surname_first":
        write(f"{p.last.upper()}, {p.first}")
    elif form == "initial_surname":
        doc.raw(p.title + " "); write(f"{p.first[0]}{doc.rng.choice(['', '.'])} {p.last}")
    elif form == "full_upper":
        write(p.full.upper())
    elif form == "first":
        write(p.first)
    elif form == "surname_upper_title":
        doc.raw(p.title.upper() + " "); write(p.last.upper())
    elif form == "lower":
        doc.raw(p.title.lower() + " "); write(p.last.lower())
    else:
        raise ValueError(form)


def third_name(doc, p, tag, form=None):
    form = form or name_forms(doc.rng, p)
    put_name(doc, p, form, lambda s: doc.red(s, "person_name", tag))


def keep_name(doc, p, kind, form=None, tag=""):
    form = form or name_forms(doc.rng, p, allow_first=(kind == "subject"))
    put_name(doc, p, form, lambda s: doc.kp(s, "person_name", kind, tag))


def staff_name(doc, s, form=None, tag=""):
    """Staff and clinicians: Dr/Mr/Ms with surname, initial or full name."""
    rng = doc.rng
    form = form or rng.choice(["title_surname", "title_full", "initial_surname", "title_surname", "full"])
    put_name(doc, s, form, lambda x: doc.kp(x, "person_name", s.kind, tag))


def third_address(doc, a, tag, inline=True, case=None):
    rng = doc.rng
    lines = a.street_lines()
    case = case or rng.choices(["as", "lower", "upper", "abbr"], [80, 5, 6, 9])[0]

    def cs(x):
        if case == "lower":
            return x.lower()
        if case == "upper":
            return x.upper()
        if case == "abbr":
            for k, v in ABBR.items():
                if x.endswith(" " + k):
                    return x[: -len(k)] + v + rng.choice(["", "."])
        return x
    sep = ", " if inline else "\n"
    for i, l in enumerate(lines):
        if i:
            doc.raw(sep if rng.random() < 0.9 or not inline else " ")
        doc.red(cs(l), "street_address", tag)
    if a.locality and rng.random() < 0.6:
        doc.raw(sep + cs(a.locality))
    if rng.random() < 0.85:
        doc.raw(sep + cs(a.town))
        doc.raw(rng.choice([" ", ", ", "  "]) if inline else "\n")
    else:
        doc.raw(" " if inline else "\n")
    pc = a.postcode
    r = rng.random()
    if r < 0.07:
        pc = pc.replace(" ", "")
    elif r < 0.11:
        pc = pc.lower()
    doc.red(pc, "postcode", tag)


def keep_address(doc, a, kind, inline=True):
    lines = a.street_lines()
    sep = ", " if inline else "\n"
    for i, l in enumerate(lines):
        if i:
            doc.raw(sep)
        doc.kp(l, "street_address", kind)
    if a.locality:
        doc.raw(sep + a.locality)
    doc.raw(sep + a.town + (" " if inline else "\n"))
    doc.kp(a.postcode, "postcode", kind)


def dob_label(rng):
    return rng.choice(["DOB: ", "D.O.B. ", "DoB ", "Date of birth: ", "d.o.b ", "born ", "DOB ", "(b. ", "Born: ",
                       "date of birth ", "DOB - "])


def third_dob(doc, d, tag):
    rng = doc.rng
    lab = dob_label(rng)
    doc.raw(lab)
    style = rng.choice(DOB_STYLES)
    doc.red(fmt_date(d, style), "date_of_birth", f"{tag};{style}")
    if lab == "(b. ":
        doc.raw(")")


def red_dob(doc, d, tag, styles=DOB_STYLES):
    style = doc.rng.choice(styles)
    doc.red(fmt_date(d, style), "date_of_birth", f"{tag};{style}")


def keep_date(doc, d, tag, style=None):
    style = style or doc.rng.choice(DOB_STYLES + ["dd/mm/yyyy"] * 4)
    doc.kp(fmt_date(d, style), "date", "clinical", tag)


# --------------------------------------------------------------------------------------------
# Corpus-level context: the practice, its staff, other organisations.
# --------------------------------------------------------------------------------------------
class Org:
    pass


def make_practice(rng):
    o = Org()
    stem = cap(rng.choice(STREET_A) + rng.choice(STREET_B))
    o.name = rng.choice([f"{stem} Medical Practice", f"The {stem} Surgery", f"{stem} Health Centre",
                         f"{stem} Family Practice", f"{stem} and District Medical Group"])
    o.address = Address(rng)
    o.address.house = None; o.address.flat = None
    o.address.number = rng.randint(1, 120)
    o.phones = [phone(rng, mobile=False), phone(rng, mobile=False)]
    short = stem.lower()
    o.emails = [f"{short}.reception@nhs.net", f"{short}.prescriptions@nhs.net"]
    o.ods = f"{rng.choice('ABCDEFGHJKLMNPY')}{rng.randint(81000, 89999)}"
    o.website = f"www.{short}surgery.example.uk"
    return o


def make_staff(rng, n=18):
    staff = []
    used = set()
    for role, title in ROLES[:n]:
        while True:
            p = Person(rng)
            if p.last not in used:
                break
        used.add(p.last)
        if title:
            p.title = title
        elif rng.random() < 0.15:
            p.title = "Dr" if role in ("Clinical Pharmacist", "Practice Manager") else p.title
        p.role = role
        p.kind = "staff"
        staff.append(p)
    return staff


def make_trust(rng):
    o = Org()
    t, area = town(rng)
    base = t.split("-")[0].split(" ")[0]
    o.name = rng.choice([f"{base} Teaching Hospitals NHS Foundation Trust", f"{base} and District NHS Trust",
                         f"University Hospitals of {base} NHS Trust", f"{base} Royal Infirmary",
                         f"{base} General Hospital", f"{base} Community Health NHS Trust"])
    o.hospital = rng.choice([f"{base} General Hospital", f"St {Person(rng, sex='m').first}'s Hospital",
                             f"{base} Royal Infirmary", f"The {base} Hospital"])
    o.address = Address(rng)
    o.address.house = None; o.address.flat = None; o.address.number = rng.randint(1, 300)
    o.phone = phone(rng, mobile=False)
    o.email = f"{rng.choice(['discharge', 'gp.enquiries', 'outpatients', 'secretaries'])}@{base.lower()}-tr.nhs.uk"
    k = rng.randint(0, 4)
    pre = "".join(rng.choice(string.ascii_uppercase) for _ in range(rng.choice([1, 1, 2, 3])))
    o.hn_kind = k
    o.hn_prefix = pre
    o.hn_label = rng.choice(["Hospital No", "Hosp No.", "MRN", "Unit No", "K No", "Patient ID", "RTH No",
                             "Hospital number", "CRN"])
    o.hn_regex = [rf"\b{pre}\d{{7}}\b", rf"\b{pre}\d{{6}}\b", r"\b\d{8}\b", rf"\b{pre}\d{{6}}[A-Z]\b",
                  rf"\b{pre}\d{{2}} ?\d{{5}}\b"][k]
    return o


def hosp_no(rng, t):
    k, pre = t.hn_kind, t.hn_prefix
    if k == 0:
        return f"{pre}{rng.randint(0, 9999999):07d}"
    if k == 1:
        return f"{pre}{rng.randint(0, 999999):06d}"
    if k == 2:
        return f"{rng.randint(10000000, 99999999)}"
    if k == 3:
        return f"{pre}{rng.randint(0, 999999):06d}{rng.choice(string.ascii_uppercase)}"
    return f"{pre}{rng.randint(0, 99):02d} {rng.randint(0, 99999):05d}"


def clinician(rng, kind="clinician", title=None):
    p = Person(rng)
    if title:
        p.title = title
    elif rng.random() < 0.55:
        p.title = "Dr"
    p.kind = kind
    return p


# --------------------------------------------------------------------------------------------
# The subject of each record.
# --------------------------------------------------------------------------------------------
def make_subject(rng):
    p = Person(rng)
    p.dob = rand_date(rng, 1926, 2016)
    p.nhs = nhs_number(rng)
    p.address = Address(rng)
    p.prev_address = Address(rng) if rng.random() < 0.25 else None
    p.phones = [phone(rng, mobile=True)] + ([phone(rng, mobile=False)] if rng.random() < 0.4 else [])
    p.emails = [email(rng, p)] if rng.random() < 0.7 else []
    p.aliases = []
    if rng.random() < 0.35:
        p.nickname = rng.choice(NICKNAMES)
        p.aliases.append(p.nickname)
    else:
        p.nickname = None
    if p.sex == "f" and rng.random() < 0.25:
        p.maiden = Person(rng, sex="f", origin=p.origin).last
        p.aliases.append(f"{p.first} {p.maiden}")
    if p.sex == "f" and p.dob.year < 1990 and rng.random() < 0.5:
        p.title = "Mrs"
    if p.dob.year > 2008:
        p.title = "Miss" if p.sex == "f" else "Master"
    p.hosp = {}
    p.ni = ni_number(rng)
    p.kind = "subject"
    return p


def subject_json(s):
    name = f"{s.first} {s.middle} {s.last}" if s.middle else s.full
    addrs = [s.address.one_line()] + ([s.prev_address.one_line()] if s.prev_address else [])
    return {"name": name, "aliases": s.aliases, "date_of_birth": s.dob.isoformat(),
            "nhs_number": f"{s.nhs[:3]} {s.nhs[3:6]} {s.nhs[6:]}", "addresses": addrs,
            "phones": s.phones, "emails": s.emails}


def subj_name(doc, s, form=None):
    rng = doc.rng
    if form is None and s.nickname and rng.random() < 0.2:
        doc.kp(s.nickname, "person_name", "subject", "alias")
        return
    keep_name(doc, s, "subject", form)


def subj_dob(doc, s, style=None):
    doc.kp(fmt_date(s.dob, style or doc.rng.choice(DOB_STYLES)), "date_of_birth", "subject")


def subj_nhs(doc, s):
    doc.kp(fmt_nhs(s.nhs, doc.rng), "nhs_number", "subject")


def subj_phone(doc, s):
    doc.kp(doc.rng.choice(s.phones), "phone", "subject")


def age_on(dob, d):
    return d.year - dob.year - ((d.month, d.day) < (dob.month, dob.day))


MALE_ONLY = set(REL_M) - set(REL_F) | {"ex-husband"}
FEMALE_ONLY = set(REL_F) - set(REL_M) | {"ex-wife", "landlady"}
OLDER = {"father", "mother", "stepfather", "stepmother", "father-in-law", "mother-in-law", "aunt", "uncle",
         "godfather", "godmother"}
YOUNGER = {"son", "daughter", "grandson", "granddaughter", "niece", "nephew", "stepson", "stepdaughter",
           "son-in-law", "daughter-in-law"}


def relative(rng, s, ctx, rel=None, share_surname=None):
    if rel in MALE_ONLY:
        sex = "m"
    elif rel in FEMALE_ONLY:
        sex = "f"
    else:
        sex = rng.choice("mf")
    rel = rel or rng.choice(REL_M if sex == "m" else REL_F)
    if share_surname is None:
        share_surname = rel in ("father", "son", "brother", "husband", "wife", "mother", "sister", "daughter") and rng.random() < 0.5
    p = Person(rng, sex=sex, origin=s.origin if rng.random() < 0.8 else None,
               surname=s.last if share_surname else None)
    if ctx.staff and rng.random() < 0.03:
        # a relative who shares a surname with a member of staff: still a third party
        p.last = rng.choice(ctx.staff).last
    p.rel = rel
    gap = rng.randint(18, 42) if rel.split("-")[0] in OLDER or rel in OLDER else (
        -rng.randint(18, 42) if rel in YOUNGER else rng.randint(-12, 12))
    if rel in ("grandson", "granddaughter"):
        gap = -rng.randint(45, 70)
    p.dob = dt.date(min(2023, max(1900, s.dob.year - gap)), rng.randint(1, 12), rng.randint(1, 28))
    p.address = Address(rng)
    p.phone = phone(rng)
    p.email = email(rng, p)
    return p


# --------------------------------------------------------------------------------------------
# Snippets shared by several document types.
# --------------------------------------------------------------------------------------------
def clin_drug(doc):
    doc.kp(doc.rng.choice(DRUGS), "clinical", "clinical", "drug")


def clin_result(doc):
    rng = doc.rng
    n, u, lo, hi, dp = rng.choice(RESULTS)
    v = round(rng.uniform(lo, hi), dp)
    v = int(v) if dp == 0 else v
    doc.kp(f"{n} {v}{(' ' + u) if u else ''}", "clinical", "clinical", "result")


def clin_obs(doc):
    rng = doc.rng
    o = rng.choice(OBS).format(s=rng.randint(105, 185), d=rng.randint(60, 105), p=rng.randint(52, 124),
                               t=round(rng.uniform(35.8, 39.6), 1), o=rng.randint(88, 100), r=rng.randint(12, 30),
                               b=round(rng.uniform(17, 44), 1), w=round(rng.uniform(45, 130), 1),
                               pf=rng.randint(150, 600), c=rng.randint(0, 3), n=rng.randint(0, 7))
    doc.kp(o, "clinical", "clinical", "obs")


def clin_epo(doc, sentence_start=True):
    e = doc.rng.choice(EPONYMS)
    doc.kp(e[0].upper() + e[1:] if sentence_start else e, "clinical", "clinical", "eponym")


def clin_code(doc):
    rng = doc.rng
    if rng.random() < 0.7:
        t, c = rng.choice(SNOMED)
        doc.kp(f"{t} ({c})", "clinical", "clinical", "snomed")
    else:
        doc.kp(f"[{rng.choice(READ)}]", "clinical", "clinical", "read")


def unit_then_capital(doc):
    """A result or observation followed directly by a capitalised clinical word."""
    rng = doc.rng
    if rng.random() < 0.5:
        clin_result(doc)
    else:
        clin_obs(doc)
    doc.raw(". " if rng.random() < 0.8 else ", ")
    e = rng.choice(EPONYMS)
    doc.kp(e[0].upper() + e[1:], "clinical", "clinical", "eponym")
    if any(w in e for w in ("sign", "test", "manoeuvre", "gait", "nodes", "breathing")):
        doc.t(rng.choice([" positive.", " negative.", " not elicited.", " equivocal."]))
    else:
        doc.t(rng.choice([" noted in the history.", " - see below.", " suspected.", " is known.", " (old diagnosis)."]))


def relation_mention(doc, s, ctx, r=None):
    """A relative named after a relationship word, in one of many shapes."""
    rng = doc.rng
    r = r or relative(rng, s, ctx)
    his = {"m": "His", "f": "Her"}[s.sex]
    rt = "relative_title" + ("_shared_surname" if r.last == s.last else "")
    k = rng.randint(0, 11)
    if k == 0:
        doc.t(f"{his} {r.rel}, "); third_name(doc, r, rt, "title_surname"); doc.t(", telephoned to ask about the results.")
    elif k == 1:
        doc.t(f"{r.rel.capitalize()} "); third_name(doc, r, rt, "title_surname"); doc.t(rng.choice([" was admitted last week", " moved out in the spring", " has been unwell", " is now the main carer"]) + ".")
    elif k == 2:
        doc.t(f"Lives with {r.rel} "); third_name(doc, r, "relative", "first"); doc.t(rng.choice([" who helps with meds.", ", who works nights.", " and two dogs."]))
    elif k == 3:
        doc.t(f"Attended with {rng.choice(['his', 'her', 'their'])} {r.rel} ("); third_name(doc, r, "relative", "full"); doc.t(").")
    elif k == 4:
        doc.t(f"Concern raised by {r.rel} "); third_name(doc, r, rt, "title_surname"); doc.t(" on "); doc.red(r.phone, "phone", "relative"); doc.t(".")
    elif k == 5:
        doc.t(f"{r.rel.capitalize()} "); third_name(doc, r, "relative", "full"); doc.t(" "); third_dob(doc, r.dob, "relative"); doc.t(" is also registered elsewhere.")
    elif k == 6:
        doc.t(f"Spoke to {r.rel} "); third_name(doc, r, "relative_lower", "lower"); doc.t(" by phone.")
    elif k == 7:
        doc.t(f"{his} {r.rel} "); third_name(doc, r, "relative", "first"); doc.t(f" {rng.choice(MOVE_VERBS)} "); third_address(doc, r.address, "moved_address"); doc.t(rng.choice([" last year.", " in March.", " recently.", "."]))
    elif k == 8:
        doc.t(f"NOK: "); third_name(doc, r, "nok", "upper_surname_first"); doc.t(f" ({r.rel}) tel "); doc.red(r.phone, "phone", "nok"); doc.t(".")
    elif k == 9:
        doc.t(f"{r.rel.capitalize()}, "); third_name(doc, r, rt, "title_full"); doc.t(", e-mailed from "); doc.red(r.email, "email", "relative"); doc.t(" asking for an update.")
    elif k == 10:
        doc.t(f"The patient's {r.rel}, "); third_name(doc, r, rt, "title_surname"); doc.t(", is waiting for a hip replacement.")
    else:
        doc.t(f"{rng.choice(NONFAMILY).capitalize()} "); third_name(doc, r, "nonfamily"); doc.t(rng.choice([" has a key.", " checks in daily.", " found him on the floor.", " brought her in."]))
    return r


def seen_by(doc, st):
    rng = doc.rng
    doc.t(rng.choice(["Seen by ", "Discussed with ", "Seen on the ward by ", "Reviewed with ", "Case discussed with ",
                      "Examined by ", "Plan agreed with ", "Chaperone: ", "Task to ", "Seen jointly with "]))
    staff_name(doc, st, tag="position")
    doc.t(rng.choice([".", " today.", " (" + st.role + ").", " - agrees with plan."]) if hasattr(st, "role") else ".")


# --------------------------------------------------------------------------------------------
# Document types.
# --------------------------------------------------------------------------------------------
def consultation_notes(doc, s, ctx):
    rng = doc.rng
    d = ctx.date
    for _ in range(rng.randint(2, 6)):
        d = d + dt.timedelta(days=rng.randint(1, 70))
        st = rng.choice(ctx.clinical_staff)
        hdr = rng.randint(0, 3)
        ts = dt.datetime(d.year, d.month, d.day, rng.randint(8, 18), rng.randint(0, 59))
        if hdr == 0:
            doc.kp(f"{ts.day} {MON[ts.month - 1]} {ts.year} {ts:%H:%M}", "date", "clinical", "entry")
            doc.raw(" - "); staff_name(doc, st, "title_surname", "header"); doc.raw("\n")
        elif hdr == 1:
            doc.kp(f"{ts:%d/%m/%Y %H:%M}", "date", "clinical", "entry")
            doc.raw(f"  {rng.choice(['Surgery consultation', 'Telephone encounter', 'Home visit', 'Video consultation'])}  ")
            staff_name(doc, st, "full_upper" if rng.random() < 0.3 else "title_full", "header"); doc.raw("\n")
        elif hdr == 2:
            doc.raw("== "); doc.kp(f"{ts.day:02d}-{MON[ts.month - 1]}-{ts.year}", "date", "clinical", "entry")
            doc.raw(" | "); staff_name(doc, st, "initial_surname", "header"); doc.raw(f" ({st.role}) ==\n")
        else:
            doc.raw("Consultation - "); staff_name(doc, st, "title_surname", "header"); doc.raw(", ")
            doc.kp(f"{ts:%a} {ts.day} {MONTH[ts.month - 1]} {ts.year}", "date", "clinical", "entry"); doc.raw("\n")
        doc.t(rng.choice(["History: ", "Hx: ", "S: ", "Problem: ", ""]))
        if s.nickname and rng.random() < 0.3:
            doc.t(rng.choice(["Pt (prefers ", "Known as "])); doc.kp(s.nickname, "person_name", "subject", "alias"); doc.t(rng.choice([") ", " - "]))
        doc.t(rng.choice(["c/o ", "Presents with ", "Reports ", "Ongoing "]) + rng.choice(PROBLEMS) + ". ")
        if rng.random() < 0.5:
            relation_mention(doc, s, ctx); doc.raw(" ")
        if rng.random() < 0.4:
            doc.t(rng.choice(["Known to have ", "PMH ", "Background of "])); clin_code(doc); doc.raw(". ")
        doc.raw("\n")
        doc.t(rng.choice(["Examination: ", "O/E: ", "E: ", ""]))
        for _ in range(rng.randint(1, 3)):
            clin_obs(doc); doc.raw(rng.choice([", ", "; ", ". "]))
        if rng.random() < 0.5:
            unit_then_capital(doc)
        doc.raw("\n")
        doc.t(rng.choice(["Plan: ", "P: ", "Management: "]))
        doc.t(rng.choice(PLANS) + ". ")
        if rng.random() < 0.6:
            doc.t(rng.choice(["Started ", "Continue ", "Increase to ", "Stop ", "Issued "])); clin_drug(doc); doc.raw(". ")
        if rng.random() < 0.35:
            seen_by(doc, rng.choice(ctx.staff))
        if rng.random() < 0.3:
            doc.t(" Next appt "); keep_date(doc, d + dt.timedelta(days=rng.randint(7, 42)), "appointment"); doc.raw(".")
        doc.raw("\n\n")


def letterhead(doc, ctx, kind="practice"):
    p = ctx.practice
    rng = doc.rng
    doc.kp(p.name.upper() if rng.random() < 0.3 else p.name, "organisation", "practice"); doc.raw("\n")
    keep_address(doc, p.address, "practice", inline=rng.random() < 0.4); doc.raw("\n")
    doc.raw(rng.choice(["Tel: ", "Telephone ", "T: ", "Tel. "])); doc.kp(p.phones[0], "phone", "practice")
    if rng.random() < 0.5:
        doc.raw(rng.choice(["  Fax: ", "  Prescriptions: ", " | Dispensary "])); doc.kp(p.phones[1], "phone", "practice")
    doc.raw("\n" + rng.choice(["Email: ", "E: ", "e-mail "])); doc.kp(p.emails[0], "email", "practice")
    if rng.random() < 0.4:
        doc.raw("   " + p.website)
    doc.raw("\n")
    if rng.random() < 0.5:
        doc.raw("ODS code " + p.ods + "\n")
    doc.raw("\n")


def trust_head(doc, t):
    rng = doc.rng
    doc.kp(t.name, "organisation", "organisation"); doc.raw("\n")
    if rng.random() < 0.6:
        doc.kp(t.hospital, "organisation", "organisation"); doc.raw("\n")
    keep_address(doc, t.address, "organisation", inline=True); doc.raw("\n")
    doc.raw("Switchboard: "); doc.kp(t.phone, "phone", "organisation")
    doc.raw("   "); doc.kp(t.email, "email", "organisation"); doc.raw("\n\n")


def patient_block(doc, s, ctx, t=None):
    rng = doc.rng
    style = rng.randint(0, 2)
    if style == 0:
        doc.raw("Re: "); subj_name(doc, s, rng.choice(["title_full", "upper_surname_first", "full_upper"]))
        doc.raw(", "); doc.raw(dob_label(rng).replace("(b. ", "DOB ")); subj_dob(doc, s)
        doc.raw("\n    "); keep_address(doc, s.address, "subject"); doc.raw("\n    NHS No: "); subj_nhs(doc, s)
    elif style == 1:
        doc.raw("Patient:   "); subj_name(doc, s, "upper_surname_first")
        doc.raw("\nDOB:       "); subj_dob(doc, s)
        doc.raw("\nNHS no.:   "); subj_nhs(doc, s)
        doc.raw("\nAddress:   "); keep_address(doc, s.address, "subject")
    else:
        doc.raw("RE: "); subj_name(doc, s, "full_upper"); doc.raw(" ("); subj_dob(doc, s, "dd/mm/yyyy"); doc.raw(")")
        doc.raw(" NHS "); subj_nhs(doc, s)
    if getattr(s, "maiden", None) and rng.random() < 0.5:
        doc.raw("\nPrevious name: "); doc.kp(f"{s.first} {s.maiden}", "person_name", "subject", "alias")
    if s.prev_address and rng.random() < 0.5:
        doc.raw("\nPrevious address: "); keep_address(doc, s.prev_address, "subject")
    if t is not None:
        hn = s.hosp.setdefault(t.name, hosp_no(rng, t))
        doc.raw(f"\n{t.hn_label}: "); doc.kp(hn, "hospital_number", "subject_unlisted")
    if rng.random() < 0.3:
        doc.raw("\nTel: "); subj_phone(doc, s)
    doc.raw("\n\n")


def sign_off(doc, st, extra_role=True):
    rng = doc.rng
    doc.raw(rng.choice(["Yours sincerely,\n\n", "Kind regards\n\n", "With best wishes,\n\n", "Yours faithfully\n\n"]))
    staff_name(doc, st, rng.choice(["title_full", "full", "initial_surname"]), "signature"); doc.raw("\n")
    if extra_role:
        doc.raw(getattr(st, "role", "Consultant") + "\n")


def addressee(doc, st, org, addr, kind):
    rng = doc.rng
    staff_name(doc, st, rng.choice(["title_full", "initial_surname", "title_surname"]), "addressee"); doc.raw("\n")
    if rng.random() < 0.4 and hasattr(st, "role"):
        doc.raw(st.role + "\n")
    doc.kp(org, "organisation", kind); doc.raw("\n")
    keep_address(doc, addr, kind, inline=False); doc.raw("\n\n")


def discharge_letter(doc, s, ctx):
    rng = doc.rng
    t = rng.choice(ctx.trusts)
    trust_head(doc, t)
    cons = clinician(rng, title=rng.choice(["Dr", "Mr", "Ms", "Mrs", "Professor"]))
    cons.role = rng.choice(["Consultant Physician", "Consultant Orthopaedic Surgeon", "Consultant Geriatrician",
                            "Consultant Cardiologist", "Consultant Obstetrician"])
    doc.raw(rng.choice(["DISCHARGE SUMMARY\n", "Inpatient Discharge Letter\n", "Notification of discharge\n"]))
    doc.raw("Date: "); keep_date(doc, ctx.date, "letter", "dd/mm/yyyy"); doc.raw("\n\n")
    addressee(doc, rng.choice(ctx.gps if rng.random() < 0.6 else ctx.clinical_staff), ctx.practice.name,
              ctx.practice.address, "practice")
    patient_block(doc, s, ctx, t)
    doc.raw("Admitted: "); keep_date(doc, ctx.date - dt.timedelta(days=rng.randint(2, 20)), "admission")
    doc.raw("   Ward: " + rng.choice(["7B", "Elm", "AMU", "Ward 22", "Harvey", "CCU", "Nightingale"]) + "\n")
    doc.raw("Consultant: "); staff_name(doc, cons, "title_full", "consultant"); doc.raw("\n\n")
    doc.raw("Diagnosis: "); clin_code(doc); doc.raw("\n")
    doc.t("Summary: ")
    doc.t(rng.choice(["Admitted with ", "Presented via ED with ", "Brought in by ambulance after "]) + rng.choice(PROBLEMS) + ". ")
    unit_then_capital(doc); doc.raw(" ")
    doc.t(rng.choice(["On admission ", "Initially "])); clin_obs(doc); doc.t(". ")
    if rng.random() < 0.6:
        nurse = clinician(rng, title=rng.choice(["Ms", "Mr", "Mrs"]))
        doc.t("Seen on the ward by "); staff_name(doc, nurse, "title_surname", "position"); doc.t(rng.choice([" (OT).", " from the frailty team.", ", physiotherapist.", " (TVN)."]))
    doc.raw("\n")
    if rng.random() < 0.7:
        relation_mention(doc, s, ctx); doc.raw("\n")
    doc.raw("\nMedication on discharge:\n")
    for _ in range(rng.randint(2, 6)):
        doc.raw("  - "); clin_drug(doc); doc.raw(rng.choice(["", " (new)", " (dose changed)", " (unchanged)"]) + "\n")
    doc.raw("\nNext of kin: ")
    r = relative(rng, s, ctx)
    third_name(doc, r, "nok", rng.choice(["title_full", "full", "upper_surname_first"]))
    doc.raw(f" ({r.rel}), "); doc.red(r.phone, "phone", "nok")
    if rng.random() < 0.25:
        doc.raw(", "); third_dob(doc, r.dob, "nok")
    if rng.random() < 0.3:
        doc.raw(f" - also an inpatient, {t.hn_label} "); doc.red(hosp_no(rng, t), "hospital_number", "nok")
    if rng.random() < 0.5:
        doc.raw(", "); third_address(doc, r.address, "nok")
    doc.raw("\n\nFollow-up: ")
    doc.t(rng.choice(["OPA in 6 weeks on ", "Fracture clinic ", "Heart failure nurse visit ", "Bloods at GP surgery on "]))
    keep_date(doc, ctx.date + dt.timedelta(days=rng.randint(7, 60)), "appointment"); doc.raw(".\n")
    doc.t("GP actions: "); doc.t(rng.choice(["please repeat U&E in 1 week", "please review BP", "please titrate beta blocker", "none"])); doc.raw(".\n\n")
    if rng.random() < 0.4:
        doc.raw("cc: "); keep_name(doc, s, "subject", "title_full"); doc.raw(" (patient)\n\n")
    sign_off(doc, cons)
    if rng.random() < 0.5:
        doc.raw("Dictated by "); staff_name(doc, clinician(rng, title="Dr"), "initial_surname", "dictated"); doc.raw(", Registrar\n")


def referral_letter(doc, s, ctx):
    rng = doc.rng
    letterhead(doc, ctx)
    keep_date(doc, ctx.date, "letter", rng.choice(["d Month yyyy", "dd/mm/yyyy", "ordinal"])); doc.raw("\n\n")
    t = rng.choice(ctx.trusts)
    cons = clinician(rng, title=rng.choice(["Dr", "Mr", "Ms", "Miss"]))
    cons.role = rng.choice(["Consultant Rheumatologist", "Consultant Neurologist", "Consultant Dermatologist", "Consultant Surgeon"])
    addressee(doc, cons, t.hospital, t.address, "organisation")
    if rng.random() < 0.25:
        doc.raw("Dear Colleague")
    else:
        doc.raw(f"Dear {cons.title} "); doc.kp(cons.last, "person_name", "clinician", "salutation")
    doc.raw(",\n\n")
    patient_block(doc, s, ctx)
    doc.t("Thank you for seeing this ")
    doc.t(f"{age_on(s.dob, ctx.date)} year old {rng.choice(['man', 'woman', 'patient'])}" if True else "")
    doc.t(" with " + rng.choice(PROBLEMS) + ". ")
    for _ in range(rng.randint(1, 3)):
        k = rng.randint(0, 3)
        if k == 0:
            unit_then_capital(doc)
        elif k == 1:
            doc.t("Recent bloods: "); clin_result(doc); doc.raw(", "); clin_result(doc); doc.raw(". ")
        elif k == 2:
            doc.t("Current medication includes "); clin_drug(doc); doc.raw(" and "); clin_drug(doc); doc.raw(". ")
        else:
            doc.t("On examination "); clin_obs(doc); doc.t(" and "); clin_epo(doc, False); doc.t(rng.choice([" was positive. ", " was equivocal. "]))
    doc.raw("\n\n")
    if rng.random() < 0.6:
        relation_mention(doc, s, ctx); doc.raw(" ")
    if rng.random() < 0.5:
        doc.t(rng.choice(["Discussed with ", "I have discussed this with my colleague "])); staff_name(doc, rng.choice(ctx.gps), "title_surname", "position"); doc.t(". ")
    doc.t(rng.choice(["She", "He", "They"]) + " can be contacted on "); subj_phone(doc, s); doc.raw(".\n\n")
    sign_off(doc, rng.choice(ctx.gps))
    doc.raw("On behalf of "); doc.kp(ctx.practice.name, "organisation", "practice"); doc.raw("\n")


def lab_report(doc, s, ctx):
    rng = doc.rng
    t = rng.choice(ctx.trusts)
    doc.raw(f"{t.name.upper()} - PATHOLOGY\n")
    doc.raw("Clinical Biochemistry / Haematology  Tel "); doc.kp(t.phone, "phone", "organisation"); doc.raw("\n")
    doc.raw("-" * 72 + "\n")
    doc.raw("Patient : "); subj_name(doc, s, "upper_surname_first")
    doc.raw("   DOB : "); subj_dob(doc, s, rng.choice(["dd-Mon-yyyy", "dd/mm/yyyy", "ddMONyyyy", "dd.mm.yyyy"]))
    doc.raw(f"\nNHS No  : "); subj_nhs(doc, s)
    hn = s.hosp.setdefault(t.name, hosp_no(rng, t))
    doc.raw(f"   {t.hn_label} : "); doc.kp(hn, "hospital_number", "subject_unlisted")
    doc.raw("\nRequested by : "); staff_name(doc, rng.choice(ctx.clinical_staff), rng.choice(["initial_surname", "surname_upper_title"]), "requester")
    doc.raw("  Location: "); doc.kp(ctx.practice.name, "organisation", "practice")
    doc.raw("\nCollected : "); keep_date(doc, ctx.date, "collected", "dd/mm/yyyy")
    doc.raw(f" {rng.randint(8, 12):02d}:{rng.randint(0, 59):02d}   Lab No : ")
    doc.kp(f"{ctx.date.year % 100}{rng.choice('BHLM')}{rng.randint(0, 999999):06d}", "clinical", "clinical", "lab_no")
    doc.raw("\n" + "-" * 72 + "\n")
    doc.raw(f"{'Test':22}{'Result':>10}  {'Units':16}{'Ref range':14}Flag\n")
    for row in rng.sample(LAB_TABLE, rng.randint(4, 10)):
        name, unit, ref, lo, hi, dp = row
        v = round(rng.uniform(lo, hi), dp)
        v = str(int(v)) if dp == 0 else str(v)
        doc.kp(name, "clinical", "clinical", "test"); doc.raw(" " * (22 - len(name) + 10 - len(v)))
        doc.kp(v, "clinical", "clinical", "result")
        doc.raw("  ")
        doc.kp(unit, "clinical", "clinical", "unit"); doc.raw(" " * (16 - len(unit)))
        flag = ""
        try:
            if ref.startswith(">"):
                flag = "L" if float(v) < float(ref[1:]) else ""
            else:
                lo_, hi_ = (float(x) for x in ref.split(" - "))
                flag = "H" if float(v) > hi_ else "L" if float(v) < lo_ else ""
        except ValueError:
            pass
        doc.raw(f"{ref:14}{flag}".rstrip() + "\n")
    doc.raw("-" * 72 + "\n")
    doc.t("Comment: ")
    doc.t(rng.choice(["Sample haemolysed, potassium may be falsely raised. ", "Suggest repeat in 3 months. ",
                      "Result phoned to surgery. ", "Consistent with iron deficiency. "]))
    if rng.random() < 0.5:
        doc.t("Reported by "); staff_name(doc, clinician(rng, title=rng.choice(["Dr", "Mr", "Ms"])), "initial_surname", "reporter"); doc.t(", Clinical Scientist.")
    if rng.random() < 0.3:
        # a misfiled result for another patient with the same surname: all of it is third party
        o = Person(rng, surname=s.last)
        doc.raw("\n\n*** ADDENDUM: sample also received for ")
        third_name(doc, o, "other_patient", "upper_surname_first"); doc.raw(" ")
        third_dob(doc, rand_date(rng, 1930, 2015), "other_patient")
        doc.raw(f" {t.hn_label} "); doc.red(hosp_no(rng, t), "hospital_number", "other_patient")
        doc.raw(" NHS "); doc.red(fmt_nhs(nhs_number(rng), rng), "nhs_number", "other_patient")
        doc.raw(" - wrong patient, please disregard. ***")
    doc.raw("\n")


def safeguarding_note(doc, s, ctx):
    rng = doc.rng
    doc.raw(rng.choice(["SAFEGUARDING - CONFIDENTIAL\n", "Safeguarding note (do not disclose without review)\n",
                        "*** SAFEGUARDING ***\n"]))
    doc.raw("Date: "); keep_date(doc, ctx.date, "entry", "dd/mm/yyyy"); doc.raw("   Author: ")
    staff_name(doc, rng.choice(ctx.clinical_staff), "title_full", "author"); doc.raw("\n\n")
    sw = clinician(rng, title=rng.choice(["Ms", "Mr", "Mrs"]))
    doc.t("Telephone call from "); staff_name(doc, sw, "title_full", "social_worker")
    doc.t(rng.choice([", social worker, ", " (Children's Services) ", " from the MASH "]))
    doc.t("regarding "); subj_name(doc, s, "first"); doc.t(". ")
    kids = [Person(rng, origin=s.origin) for _ in range(rng.randint(1, 3))]
    partner = relative(rng, s, ctx, rel=rng.choice(["partner", "ex-partner", "boyfriend", "stepfather", "girlfriend"]), share_surname=False)
    doc.t("Household: ")
    for i, k in enumerate(kids):
        if i:
            doc.raw("; ")
        third_name(doc, k, "child", rng.choice(["full", "first", "full_upper"]))
        doc.raw(" ")
        third_dob(doc, rand_date(rng, 2006, 2023), "child")
        if rng.random() < 0.3:
            doc.raw(" NHS "); doc.red(fmt_nhs(nhs_number(rng), rng), "nhs_number", "child")
        if rng.random() < 0.2:
            t = rng.choice(ctx.trusts)
            doc.raw(f" {t.hn_label} "); doc.red(hosp_no(rng, t), "hospital_number", "child")
    doc.t(". ")
    doc.t(f"{partner.rel.capitalize()} ")
    third_name(doc, partner, "partner", rng.choice(["title_surname", "full", "upper_surname_first"]))
    doc.t(rng.choice([" has a history of violence", " was arrested on Saturday", " is subject to a non-molestation order",
                      " is not allowed contact with the children"]) + ". ")
    doc.t(rng.choice(["He ", "She ", "They "]) + rng.choice(MOVE_VERBS) + " ")
    third_address(doc, partner.address, "moved_address")
    doc.t(rng.choice([" last month.", " and is not to be told of the new address.", " (per police)."]) + "\n")
    if rng.random() < 0.6:
        doc.t("Partner's NI number "); doc.red(ni_number(rng), "ni_number", "partner"); doc.t(" given by the DWP.\n")
    if rng.random() < 0.7:
        relation_mention(doc, s, ctx); doc.raw("\n")
    doc.t("School: " + cap(rng.choice(STREET_A) + rng.choice(STREET_B)) + " Primary. ")
    doc.t("Plan: strategy meeting on "); keep_date(doc, ctx.date + dt.timedelta(days=rng.randint(2, 14)), "meeting")
    doc.t(". " + rng.choice(["Coded as ", "Added "])); doc.kp(rng.choice(["Child in need (SNOMED 1087081000000100)", "Child protection plan [8HkK.]",
                                                                       "Domestic abuse (SNOMED 1066301000000100)"]), "clinical", "clinical", "code")
    doc.t(". ")
    doc.t("Discussed with safeguarding lead "); staff_name(doc, rng.choice(ctx.gps), "title_surname", "position"); doc.t(".\n")


def social_prescribing(doc, s, ctx):
    rng = doc.rng
    lw = ctx.link_worker
    doc.raw("Social Prescribing - Link Worker Note\n")
    doc.raw("Link worker: "); staff_name(doc, lw, rng.choice(["full", "title_full"]), "author")
    doc.raw("   Date: "); keep_date(doc, ctx.date, "entry", "d Month yyyy"); doc.raw("\n\n")
    doc.t(f"Met "); subj_name(doc, s); doc.t(rng.choice([" at the library. ", " at home. ", " by phone (45 min). "]))
    doc.t("What matters to me: " + rng.choice(["getting out of the house", "my garden", "seeing my grandchildren",
                                                "finding work", "managing money", "not being lonely"]) + ". ")
    r = relative(rng, s, ctx)
    doc.t("Lives alone since " + rng.choice(["his", "her"]) + f" {r.rel} ")
    third_name(doc, r, "relative", rng.choice(["first", "full", "title_surname"]))
    doc.t(f" {rng.choice(MOVE_VERBS)} "); third_address(doc, r.address, "moved_address")
    doc.t(". ")
    if rng.random() < 0.6:
        n = Person(rng)
        doc.t(rng.choice(["Neighbour ", "Good friend ", "Befriender "])); third_name(doc, n, "nonfamily")
        doc.t(rng.choice([" (lives at ", " from "])); third_address(doc, Address(rng), "nonfamily_address"); doc.t(") pops in most days. ")
    if rng.random() < 0.4:
        n = Person(rng)
        doc.t("Referred to the warm space run by "); third_name(doc, n, "volunteer", "full"); doc.t(" (")
        doc.red(email(rng, n), "email", "volunteer"); doc.t(", "); doc.red(phone(rng), "phone", "volunteer"); doc.t("). ")
    doc.raw("\n")
    doc.t("Groups: " + ", ".join(rng.sample(["Men's Shed", "Walk and Talk", "Knit and Natter", "Food bank (Tuesdays)",
                                             "Citizens Advice", "Age UK befriending", "Parkrun", "Sight loss group",
                                             "Bereavement cafe"], 3)) + ".\n")
    doc.t("Wellbeing score (ONS4) " + str(rng.randint(2, 9)) + "/10. ")
    doc.t("Next contact "); keep_date(doc, ctx.date + dt.timedelta(days=rng.randint(7, 28)), "appointment"); doc.raw(".\n")
    doc.t("Fed back to "); staff_name(doc, rng.choice(ctx.gps), "title_surname", "position"); doc.t(".\n")


def solicitor_letter(doc, s, ctx):
    rng = doc.rng
    firm_p = Person(rng)
    firm = f"{firm_p.last} {Person(rng).last} {rng.choice(['LLP', 'Solicitors', '& Co', 'Legal'])}"
    fa = Address(rng)
    fa.house = None; fa.flat = None; fa.number = rng.randint(1, 99)
    doc.kp(firm, "organisation", "organisation"); doc.raw("\n")
    keep_address(doc, fa, "organisation"); doc.raw("\nDX " + str(rng.randint(10000, 99999)) + " " + fa.town.split(" ")[0] + "\n")
    doc.raw("Tel "); doc.kp(phone(rng, mobile=False), "phone", "organisation"); doc.raw("\n\n")
    doc.raw("The Practice Manager\n"); doc.kp(ctx.practice.name, "organisation", "practice"); doc.raw("\n")
    keep_address(doc, ctx.practice.address, "practice", inline=False); doc.raw("\n\n")
    ref = f"{firm_p.last[:3].upper()}/{rng.choice(string.ascii_uppercase)}{rng.choice(string.ascii_uppercase)}/{rng.randint(1000, 9999)}"
    doc.raw("Our ref: "); doc.kp(ref, "clinical", "organisation", "reference"); doc.raw("\nDate: ")
    keep_date(doc, ctx.date, "letter", rng.choice(["ordinal", "d Month yyyy"])); doc.raw("\n\n")
    doc.raw("Dear Sirs\n\n")
    doc.raw("Our client: "); subj_name(doc, s, "title_full"); doc.raw(", "); doc.raw("date of birth "); subj_dob(doc, s, rng.choice(["ordinal", "d Month yyyy", "Month d, yyyy"]))
    doc.raw("\nAddress: "); keep_address(doc, s.address, "subject"); doc.raw("\n\n")
    other = Person(rng)
    k = rng.randint(0, 2)
    if k == 0:
        doc.t("We act for the above-named in connection with a road traffic accident on ")
        keep_date(doc, ctx.date - dt.timedelta(days=rng.randint(30, 400)), "incident", "ordinal")
        doc.t(" when the vehicle driven by "); third_name(doc, other, "other_party", rng.choice(["title_full", "full"]))
        doc.t(" of "); third_address(doc, Address(rng), "other_party"); doc.t(" collided with our client's car. ")
        doc.t("The defendant's insurer quotes date of birth ")
        red_dob(doc, rand_date(rng, 1950, 2000), "other_party")
        doc.t(" and licence number " + "".join(rng.choice(string.ascii_uppercase) for _ in range(5)) + str(rng.randint(100000, 999999)) + "AB9CD. ")
    elif k == 1:
        doc.t("We are instructed in relation to the estate of our client's late ")
        r = relative(rng, s, ctx, rel=rng.choice(["mother", "father", "aunt", "uncle"]))
        doc.t(f"{r.rel}, "); third_name(doc, r, "deceased", rng.choice(["title_full", "full"]))
        doc.t(", formerly of "); third_address(doc, r.address, "deceased"); doc.t(", who died on ")
        keep_date(doc, ctx.date - dt.timedelta(days=rng.randint(30, 400)), "death", "d Month yyyy")
        doc.t(". The deceased's NHS number was "); doc.red(fmt_nhs(nhs_number(rng), rng), "nhs_number", "deceased")
        doc.t(" and NI number "); doc.red(ni_number(rng), "ni_number", "deceased"); doc.t(". ")
    else:
        doc.t("We act in family proceedings concerning our client and "); third_name(doc, other, "other_party", "full")
        doc.t(" (born "); red_dob(doc, rand_date(rng, 1970, 2000), "other_party")
        doc.t("). Correspondence for the respondent should go to "); doc.red(email(rng, other), "email", "other_party"); doc.t(". ")
    doc.t("We enclose our client's signed authority and request copies of the records from ")
    keep_date(doc, dt.date(ctx.date.year - rng.randint(2, 10), 1, 1), "range", "d Month yyyy"); doc.t(" to date. ")
    doc.t("Our client's NI number is "); doc.kp(s.ni, "ni_number", "subject_unlisted"); doc.t(".\n\n")
    sol = firm_p if rng.random() < 0.5 else Person(rng)
    sol.kind = "clinician"; sol.role = rng.choice(["Solicitor", "Associate", "Partner", "Paralegal"])
    sign_off(doc, sol)
    doc.raw("Email: "); doc.kp(f"{sol.first[0].lower()}.{sol.last.lower().replace(chr(39), '')}@{firm_p.last.lower().replace(chr(39), '')}-law.example.co.uk", "email", "clinician"); doc.raw("\n")


def csv_table(doc, s, ctx):
    rng = doc.rng
    k = rng.randint(0, 2)
    q = rng.random() < 0.5

    def cell(i):
        if i:
            doc.raw(",")
        if q:
            doc.raw('"')

    def endc():
        if q:
            doc.raw('"')
    if k == 0:
        doc.raw(",".join((f'"{h}"' if q else h) for h in ["Relationship", "Name", "Date of birth", "Telephone", "Address", "Postcode", "Notes"]) + "\n")
        for _ in range(rng.randint(2, 6)):
            r = relative(rng, s, ctx)
            cell(0); doc.raw(r.rel.capitalize()); endc()
            cell(1); third_name(doc, r, "contacts_csv", rng.choice(["full", "upper_surname_first", "full"])); endc()
            cell(2); red_dob(doc, r.dob, "contacts_csv", ["dd/mm/yyyy", "dd-Mon-yyyy", "iso", "d/m/yy", "dd.mm.yyyy"]); endc()
            cell(3); doc.red(r.phone, "phone", "contacts_csv"); endc()
            cell(4)
            lines = r.address.street_lines()
            if not q and len(lines) > 1:
                lines = [" ".join(lines)]
            for i, l in enumerate(lines):
                if i:
                    doc.raw(", ")
                doc.red(l, "street_address", "contacts_csv")
            endc()
            cell(5); doc.red(r.address.postcode, "postcode", "contacts_csv"); endc()
            cell(6); doc.raw(rng.choice(["NOK", "key holder", "", "LPA health and welfare", "do not contact"])); endc()
            doc.raw("\n")
    elif k == 1:
        doc.raw(",".join((f'"{h}"' if q else h) for h in ["Date", "Time", "Clinician", "Slot type", "Status"]) + "\n")
        d = ctx.date
        for _ in range(rng.randint(4, 12)):
            d = d + dt.timedelta(days=rng.randint(1, 40))
            st = rng.choice(ctx.clinical_staff)
            cell(0); keep_date(doc, d, "appointment", "dd/mm/yyyy"); endc()
            cell(1); doc.raw(f"{rng.randint(8, 17):02d}:{rng.choice(['00', '10', '20', '30', '40', '50'])}"); endc()
            cell(2); staff_name(doc, st, rng.choice(["title_full", "title_surname", "upper_surname_first", "full"]), "csv"); endc()
            cell(3); doc.raw(rng.choice(["Face to face", "Telephone", "Video", "Home visit", "Nurse 20 min"])); endc()
            cell(4); doc.raw(rng.choice(["Attended", "DNA", "Cancelled by patient", "Attended late"])); endc()
            doc.raw("\n")
    else:
        doc.raw(",".join((f'"{h}"' if q else h) for h in ["Drug", "Dose", "Last issued", "Issued by", "Review date"]) + "\n")
        for _ in range(rng.randint(3, 8)):
            dr = rng.choice(DRUGS).split(" ", 1)
            cell(0); doc.kp(dr[0], "clinical", "clinical", "drug"); endc()
            cell(1); doc.kp(dr[1], "clinical", "clinical", "dose"); endc()
            cell(2); keep_date(doc, ctx.date - dt.timedelta(days=rng.randint(1, 90)), "issued", "dd-Mon-yyyy"); endc()
            cell(3); staff_name(doc, rng.choice(ctx.clinical_staff), rng.choice(["initial_surname", "title_surname"]), "csv"); endc()
            cell(4); keep_date(doc, ctx.date + dt.timedelta(days=rng.randint(30, 365)), "review", "dd-Mon-yyyy"); endc()
            doc.raw("\n")


def phone_message(doc, s, ctx):
    rng = doc.rng
    recp = rng.choice(ctx.admin_staff)
    doc.raw("TELEPHONE MESSAGE\n")
    doc.raw("Taken by: "); staff_name(doc, recp, rng.choice(["full", "title_full"]), "message_taker")
    doc.raw("   "); keep_date(doc, ctx.date, "entry", rng.choice(["dd/mm/yy", "dd/mm/yyyy"]))
    doc.raw(f" {rng.randint(8, 18):02d}:{rng.randint(0, 59):02d}\n")
    r = relative(rng, s, ctx)
    doc.t("Caller: "); third_name(doc, r, "caller", rng.choice(["title_full", "title_surname", "full"]))
    doc.t(f" ({r.rel}) on "); doc.red(r.phone, "phone", "caller"); doc.raw("\n")
    doc.t("Re patient: "); subj_name(doc, s, "title_full"); doc.raw(" "); doc.raw("DOB "); subj_dob(doc, s); doc.raw("\n")
    doc.t("Message: ")
    doc.t(rng.choice([f"{r.rel.capitalize()} worried that ", "Caller says ", "Asking whether "]))
    he = "he" if s.sex == "m" else "she"
    doc.t(rng.choice([f"{he} has not been eating", f"{he} has swollen ankles again", f"the new tablets are making {he} dizzy".replace("making she", "making her").replace("making he", "making him"),
                      f"{he} is more confused since Tuesday", f"{he} has missed an injection"]) + ". ")
    if rng.random() < 0.5:
        doc.t("Please call back on "); doc.red(phone(rng, mobile=True), "phone", "caller"); doc.t(" after 5pm. ")
    if rng.random() < 0.4:
        doc.t("Also e-mail "); doc.red(r.email, "email", "caller"); doc.t(". ")
    doc.t("Consent to share on file: " + rng.choice(["yes", "NO - do not discuss", "not checked"]) + ".\n")
    doc.t("Task to "); staff_name(doc, rng.choice(ctx.gps), "title_surname", "task"); doc.t(".\n")


def ooh_report(doc, s, ctx):
    rng = doc.rng
    doc.raw(rng.choice(["NHS 111 / OOH Clinical Report\n", "Out of Hours Encounter Report\n", "IUC Post Event Message\n"]))
    doc.raw("Case ref: " + f"{rng.randint(1000000, 9999999)}" + "\n")
    doc.raw("Patient: "); subj_name(doc, s, "full_upper"); doc.raw("  DOB: "); subj_dob(doc, s, "dd-Mon-yyyy")
    doc.raw("  NHS: "); subj_nhs(doc, s); doc.raw("\n")
    doc.raw("Registered GP: "); staff_name(doc, rng.choice(ctx.gps), "initial_surname", "registered_gp")
    doc.raw(", "); doc.kp(ctx.practice.name, "organisation", "practice"); doc.raw("\n")
    doc.raw("Call received: "); keep_date(doc, ctx.date, "entry", "dd/mm/yyyy"); doc.raw(f" {rng.randint(18, 23)}:{rng.randint(10, 59)}\n")
    r = relative(rng, s, ctx)
    doc.t("Caller: "); doc.t(r.rel + ", "); third_name(doc, r, "caller", rng.choice(["title_surname", "title_full"]))
    doc.t(". Call-back number "); doc.red(r.phone, "phone", "caller"); doc.raw("\n")
    doc.t("Current location: ")
    if rng.random() < 0.5:
        doc.t("at " + r.rel + "'s house, "); third_address(doc, r.address, "location")
    else:
        doc.t("home address")
    doc.raw("\n")
    doc.t("Presenting complaint: " + rng.choice(PROBLEMS) + ". ")
    clin_obs(doc); doc.t(". "); unit_then_capital(doc); doc.raw("\n")
    doc.t("Outcome: " + rng.choice(["self care", "speak to own GP within 24 hours", "ED within 1 hour", "999 dispatched"]) + ".\n")
    doc.t("Clinician: "); staff_name(doc, clinician(rng, title=rng.choice(["Dr", "Mr", "Ms"])), "title_full", "ooh_clinician")
    doc.t(rng.choice([", Paramedic", ", GP", ", ANP"]) + "\n")


def carer_form(doc, s, ctx):
    rng = doc.rng
    r = relative(rng, s, ctx, share_surname=rng.random() < 0.4)
    doc.raw(rng.choice(["CARER'S REGISTRATION FORM\n\n", "Carer details (practice carers register)\n\n"]))
    doc.raw("Cared-for person: "); subj_name(doc, s, "full"); doc.raw("\nTheir date of birth: "); subj_dob(doc, s); doc.raw("\n\n")
    doc.raw("Carer name: "); third_name(doc, r, "carer", rng.choice(["full", "title_full", "full_upper"]))
    doc.raw("\nRelationship: " + r.rel + "\nCarer DOB: ")
    red_dob(doc, r.dob, "carer")
    doc.raw("\nCarer address: ")
    if rng.random() < 0.4:
        doc.raw("same as patient")
    else:
        third_address(doc, r.address, "carer", inline=rng.random() < 0.6)
    doc.raw("\nCarer phone: "); doc.red(r.phone, "phone", "carer")
    doc.raw("\nCarer email: "); doc.red(r.email, "email", "carer")
    if rng.random() < 0.5:
        doc.raw("\nCarer's NI number (for Carer's Allowance): "); doc.red(ni_number(rng), "ni_number", "carer")
    if rng.random() < 0.4:
        doc.raw("\nCarer's NHS number: "); doc.red(fmt_nhs(nhs_number(rng), rng), "nhs_number", "carer")
    doc.raw("\nCarer registered at this practice: " + rng.choice(["Yes", "No"]) + "\n\n")
    doc.t("Hours caring per week: " + str(rng.randint(5, 80)) + ". ")
    doc.t("Form received by "); staff_name(doc, rng.choice(ctx.admin_staff), "full", "received"); doc.t(" on ")
    keep_date(doc, ctx.date, "received", "dd/mm/yyyy"); doc.t(".\n")


def baby_check(doc, s, ctx):
    rng = doc.rng
    baby = Person(rng, origin=s.origin, surname=s.last if rng.random() < 0.6 else None)
    bdob = ctx.date - dt.timedelta(days=rng.randint(42, 60))
    t = rng.choice(ctx.trusts)
    doc.raw("Postnatal check (mother) and 6-8 week baby check\n\n")
    doc.raw("Mother: "); subj_name(doc, s, "title_full"); doc.raw("  DOB "); subj_dob(doc, s); doc.raw("\n")
    doc.raw("Baby: "); third_name(doc, baby, "baby", rng.choice(["full", "full_upper", "first"]))
    doc.raw("  born "); red_dob(doc, bdob, "baby")
    doc.raw(" at " + t.hospital + ", NHS no "); doc.red(fmt_nhs(nhs_number(rng), rng), "nhs_number", "baby")
    if rng.random() < 0.5:
        doc.raw(f", {t.hn_label} "); doc.red(hosp_no(rng, t), "hospital_number", "baby")
    doc.raw("\n\n")
    doc.t("Mother: lochia settled, " + rng.choice(["perineum healed", "caesarean wound healed", "some low mood"]) + ". ")
    doc.t("EPDS " + str(rng.randint(2, 18)) + ". "); clin_obs(doc); doc.t(". ")
    doc.t("Contraception discussed, started "); doc.kp(rng.choice(["desogestrel 75 micrograms OD", "Cerazette", "Nexplanon insertion booked"]), "clinical", "clinical", "drug"); doc.t(".\n")
    doc.t("Baby: weight " + f"{rng.uniform(3.9, 6.2):.2f}" + " kg, hips stable (Barlow and Ortolani negative), red reflex present, testes descended or n/a. ")
    if rng.random() < 0.6:
        dad = relative(rng, s, ctx, rel="partner", share_surname=False)
        doc.t("Baby's father "); third_name(doc, dad, "father", rng.choice(["full", "title_surname"]))
        doc.t(rng.choice([" present.", " not involved.", " works away."]))
    doc.raw("\n")
    doc.t("Seen by "); staff_name(doc, rng.choice(ctx.gps), "title_surname", "position"); doc.t(" with HV ")
    staff_name(doc, clinician(rng, title=rng.choice(["Ms", "Mrs"])), "title_surname", "health_visitor"); doc.t(".\n")


def mental_health_letter(doc, s, ctx):
    rng = doc.rng
    t = rng.choice(ctx.trusts)
    doc.raw(t.name.replace("Hospitals", "Partnership").replace("Infirmary", "Mental Health Services") + "\nCommunity Mental Health Team\n\n")
    doc.raw("Private and confidential\n")
    addressee(doc, rng.choice(ctx.gps), ctx.practice.name, ctx.practice.address, "practice")
    patient_block(doc, s, ctx, t if rng.random() < 0.5 else None)
    doc.t("I reviewed "); subj_name(doc, s, rng.choice(["title_surname", "first", "full"])); doc.t(" in clinic on ")
    keep_date(doc, ctx.date, "clinic", rng.choice(["ordinal", "d Month yyyy", "dd/mm/yyyy"])); doc.t(". ")
    ex = relative(rng, s, ctx, rel=rng.choice(["ex-partner", "ex-husband", "ex-wife", "former partner"]), share_surname=False)
    doc.t(f"The relationship with {ex.rel} ")
    third_name(doc, ex, "ex_partner", rng.choice(["full", "first", "title_surname"]))
    doc.t(" ended " + rng.choice(["in 2019", "after the police were called", "last summer"]) + ". ")
    if rng.random() < 0.5:
        doc.t(rng.choice(["He", "She"]) + " " + rng.choice(MOVE_VERBS) + " "); third_address(doc, ex.address, "moved_address"); doc.t(". ")
    doc.t("Mental state: " + rng.choice(["euthymic, no psychotic features", "low in mood, reactive affect", "anxious but engaging"]) + ". ")
    doc.t("PHQ-9 " + str(rng.randint(3, 25)) + ", GAD-7 " + str(rng.randint(2, 21)) + ". ")
    doc.t("Plan: continue "); clin_drug(doc); doc.t(". ")
    if rng.random() < 0.5:
        doc.t("Physical health check: "); clin_obs(doc); doc.t(". ")
    if rng.random() < 0.6:
        relation_mention(doc, s, ctx); doc.raw(" ")
    doc.raw("\n\n")
    mh = clinician(rng, title=rng.choice(["Dr", "Mr", "Ms"]))
    mh.role = rng.choice(["Consultant Psychiatrist", "CPN", "Specialty Doctor"])
    sign_off(doc, mh)
    doc.raw("cc: "); keep_name(doc, s, "subject", "title_full"); doc.raw("; care coordinator ")
    staff_name(doc, clinician(rng, title=rng.choice(["Ms", "Mr"])), "title_full", "cc"); doc.raw("\n")


def district_nurse(doc, s, ctx):
    rng = doc.rng
    doc.raw("District Nursing - Home Visit Record\n")
    d = ctx.date
    for _ in range(rng.randint(2, 5)):
        d = d + dt.timedelta(days=rng.randint(1, 10))
        doc.kp(fmt_date(d, "dd/mm/yyyy"), "date", "clinical", "entry"); doc.raw(" ")
        nurse = clinician(rng, title=rng.choice(["Ms", "Mr", "Mrs", "Miss"]))
        staff_name(doc, nurse, rng.choice(["title_surname", "full_upper", "initial_surname"]), "header"); doc.raw(" (DN)\n")
        doc.t(rng.choice(["Leg ulcer dressing renewed. ", "Insulin administered: ", "Catheter changed. ", "Pressure areas checked. "]))
        if rng.random() < 0.5:
            clin_drug(doc); doc.t(". ")
        if rng.random() < 0.4:
            doc.kp(rng.choice(EPONYMS[-3:]), "clinical", "clinical", "score"); doc.t(". ")
        if rng.random() < 0.5:
            n = Person(rng)
            doc.t(rng.choice(["Neighbour ", "Key holder ", "Friend "])); third_name(doc, n, "nonfamily", rng.choice(["title_surname", "full"]))
            doc.t(" at ")
            # same street as the subject, another house: the line is the neighbour's
            doc.red(f"{rng.randint(1, 99)} {s.address.street}", "street_address", "neighbour_same_street")
            doc.t(" has the key safe code. ")
        if rng.random() < 0.4:
            relation_mention(doc, s, ctx)
        doc.raw("\n")


def email_thread(doc, s, ctx):
    rng = doc.rng
    r = relative(rng, s, ctx)
    st = rng.choice(ctx.staff)
    st_mail = f"{st.first.lower()}.{st.last.lower().replace(chr(39), '')}@nhs.net"
    doc.raw("From: "); third_name(doc, r, "email_header", "full"); doc.raw(" <"); doc.red(r.email, "email", "email_header"); doc.raw(">\n")
    doc.raw("To: "); doc.kp(ctx.practice.emails[0], "email", "practice"); doc.raw("\n")
    doc.raw("Date: "); doc.kp(f"{ctx.date:%a}, {ctx.date.day} {MON[ctx.date.month - 1]} {ctx.date.year} {rng.randint(7, 22):02d}:{rng.randint(0, 59):02d}", "date", "clinical", "email_date"); doc.raw("\n")
    doc.raw("Subject: RE: " + rng.choice(["mum's appointment", "Dad - tablets", "repeat prescription", "letter for housing"]) + "\n\n")
    doc.t("Hi,\n\nI am writing about my " + ("mother" if s.sex == "f" else "father") + " ")
    subj_name(doc, s, rng.choice(["full", "title_surname"])); doc.t(" ("); subj_dob(doc, s, rng.choice(["d/m/yy", "dd/mm/yyyy", "ordinal"])); doc.t("). ")
    doc.t(rng.choice(["Could someone ring me on ", "My number is ", "Best to reach me on "])); doc.red(r.phone, "phone", "email_body"); doc.t(". ")
    if rng.random() < 0.5:
        doc.t("My brother "); b = Person(rng, sex="m", surname=r.last if rng.random() < 0.5 else None)
        third_name(doc, b, "relative", rng.choice(["first", "full"])); doc.t(rng.choice([" is abroad", " has power of attorney", " can't help at the moment"])); doc.t(". ")
    doc.t("\n\nThanks\n"); third_name(doc, r, "email_signature", "first"); doc.raw("\n\n")
    doc.raw("-----Original Message-----\nFrom: "); staff_name(doc, st, "full", "email_header"); doc.raw(" <"); doc.kp(st_mail, "email", "staff"); doc.raw(">\n")
    doc.t("Dear "); third_name(doc, r, "salutation", "title_surname"); doc.t(",\nThank you for your message. We can only discuss ")
    subj_name(doc, s, "title_surname"); doc.t("'s care with consent. Please ask them to call reception on ")
    doc.kp(ctx.practice.phones[0], "phone", "practice"); doc.t(".\nKind regards\n"); staff_name(doc, st, "full", "signature")
    doc.raw("\n" + st.role + ", "); doc.kp(ctx.practice.name, "organisation", "practice"); doc.raw("\n")


DOC_TYPES = [("consultation_notes", consultation_notes, 18), ("discharge_letter", discharge_letter, 12),
             ("referral_letter", referral_letter, 11), ("lab_report", lab_report, 8),
             ("safeguarding_note", safeguarding_note, 7), ("social_prescribing", social_prescribing, 6),
             ("solicitor_letter", solicitor_letter, 6), ("csv_table", csv_table, 7), ("phone_message", phone_message, 6),
             ("ooh_report", ooh_report, 5), ("carer_form", carer_form, 5), ("baby_check", baby_check, 3),
             ("mental_health_letter", mental_health_letter, 5), ("district_nurse", district_nurse, 4),
             ("email_thread", email_thread, 4)]


class Ctx:
    pass


def check(text, spans):
    for sp in spans:
        assert text[sp["start"]:sp["end"]] == sp["text"], sp
        assert sp["text"] == sp["text"].strip() and sp["text"], sp


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default="bench/out/redaction-heldout")
    a = ap.parse_args()
    rng = random.Random(a.seed)

    ctx = Ctx()
    ctx.practice = make_practice(rng)
    ctx.staff = make_staff(rng)
    ctx.gps = [p for p in ctx.staff if p.title == "Dr" and "GP" in p.role]
    ctx.clinical_staff = [p for p in ctx.staff if p.role not in ("Practice Manager", "Receptionist", "Secretary")]
    ctx.admin_staff = [p for p in ctx.staff if p.role in ("Practice Manager", "Receptionist", "Secretary", "Care Coordinator")]
    ctx.link_worker = next(p for p in ctx.staff if p.role == "Social Prescribing Link Worker")
    ctx.trusts = [make_trust(rng) for _ in range(6)]

    os.makedirs(os.path.join(a.out, "docs"), exist_ok=True)
    os.makedirs(os.path.join(a.out, "subjects"), exist_ok=True)
    p = ctx.practice
    org = {"name": p.name, "address": p.address.one_line(),
           "address_lines": [f"{p.address.number} {p.address.street}"] + ([p.address.locality] if p.address.locality else []) + [p.address.town],
           "postcode": p.address.postcode, "phones": p.phones, "emails": p.emails, "ods_code": p.ods,
           "website": p.website}
    with open(os.path.join(a.out, "organisation.json"), "w") as f:
        json.dump(org, f, indent=1)
    with open(os.path.join(a.out, "staff.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["name", "role"])
        for st in ctx.staff:
            w.writerow([st.full, st.role])
    with open(os.path.join(a.out, "trusts.json"), "w") as f:
        json.dump([{"name": t.name, "hospital": t.hospital, "address": t.address.one_line(), "phone": t.phone,
                    "email": t.email, "hospital_number_label": t.hn_label, "hospital_number_regex": t.hn_regex}
                   for t in ctx.trusts], f, indent=1)

    names, weights = [d[0] for d in DOC_TYPES], [d[2] for d in DOC_TYPES]
    funcs = {d[0]: d[1] for d in DOC_TYPES}
    manifest = []
    with open(os.path.join(a.out, "corpus.jsonl"), "w") as out:
        for i in range(a.docs):
            drng = random.Random(f"{a.seed}/{i}")
            s = make_subject(drng)
            ctx.date = rand_date(drng, max(2012, s.dob.year + 1), 2024)
            kind = drng.choices(names, weights)[0]
            if kind == "baby_check" and (s.sex != "f" or age_on(s.dob, ctx.date) < 17 or age_on(s.dob, ctx.date) > 46):
                kind = "consultation_notes"
            doc = Doc(drng, typo_rate=drng.choice([0, 0, 0.01, 0.02, 0.04]))
            funcs[kind](doc, s, ctx)
            text = doc.text()
            assert text.isascii(), kind
            check(text, doc.gold); check(text, doc.keep)
            spans = sorted((sp["start"], sp["end"]) for sp in doc.gold + doc.keep)
            assert all(x[1] <= y[0] for x, y in zip(spans, spans[1:])), f"overlapping spans in {kind}"
            ext = "csv" if kind == "csv_table" else "txt"
            fname = f"docs/{i:04d}.{ext}"
            subj = subject_json(s)
            with open(os.path.join(a.out, fname), "w") as f:
                f.write(text)
            with open(os.path.join(a.out, f"subjects/{i:04d}.json"), "w") as f:
                json.dump(subj, f, indent=1)
            manifest.append([f"subjects/{i:04d}.json", fname, f"bundles/{i:04d}.pdf"])
            rec = {"id": i, "doc_type": kind, "file": fname, "subject": subj, "text": text,
                   "gold": [dict(sp, action="redact") for sp in doc.gold],
                   "keep": [dict(sp, action="keep") for sp in doc.keep]}
            out.write(json.dumps(rec) + "\n")
    with open(os.path.join(a.out, "manifest.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["subject", "input", "output"])
        w.writerows(manifest)
    print(f"wrote {a.docs} documents to {a.out} (seed {a.seed})")


if __name__ == "__main__":
    main()
