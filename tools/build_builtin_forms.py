"""Build Bridgeway's built-in XLSForm workbooks from readable definitions.

Usage::

    .venv/bin/python tools/build_builtin_forms.py            # write into the package
    .venv/bin/python tools/build_builtin_forms.py --out DIR  # write elsewhere

Why Python data and not hand-edited spreadsheets: the forms are reviewed in
code review, share blocks (the case number, how the child was heard, the risk
levels) that must stay identical everywhere, and are translated side by side
in English, Arabic and Indonesian. The generated ``.xlsx`` files are committed
under ``src/bridgeway/forms/builtin/`` and a test fails when they drift from
this script.

The forms follow the case-management steps and best-interests procedure in
``shared/STANDARDS.md`` and the Bali conclusions (2024): the first step of
reintegration is an individual psychosocial assessment focused on resilience,
needs and vulnerability factors, and the child's views are heard and recorded
in every decision that affects them (CRC art. 12).

XLSForm subset. The forms use only what Bridgeway's web renderer and
validator support: the question types text, integer, decimal, date,
select_one, select_multiple, note, calculate, groups and repeats; the columns
listed in :data:`SURVEY_COLUMNS`; and in expressions only ``${name}``, ``.``,
literals, comparisons, ``and``/``or``, arithmetic and the functions in
:data:`ALLOWED_FUNCTIONS`. ``or_other`` is not used: with translations pyxform
warns that it generates an untranslated "Other" label, so each "other" choice
is followed by an explicit, translated text question.

Category column decision (checked against pyxform 4.5):

* An unknown plain column (``category`` or ``bw:category``) is accepted
  without warning but silently dropped: the category would never reach the
  XForm, so ODK clients and anything reading the XForm would lose it.
* ``bind::bw:category`` is copied onto the field's ``<bind>`` element. Without
  a declared namespace pyxform still gives no warning, but the XForm is not
  well-formed XML (unbound ``bw:`` prefix). With the ``namespaces`` settings
  column ``bw="https://bridgeway.example/xforms"`` the XForm declares
  ``xmlns:bw`` and is valid: this is what we use, the same pattern
  OpenClinica uses for ``bind::oc:itemgroup``.
* ``instance::bw:category`` would also work and would even be repeated in
  every submission, but it adds bytes to every record and relies on each
  client keeping unknown instance attributes. The bind keeps the category in
  the form definition, where the server maps a submission back to it through
  the form id and version.

Notes and groups carry no category: they hold no child data. Calculated
fields do, since they are stored.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook

from bridgeway.forms.builtin import (
    BUILTIN_DIR,
    BUILTIN_FORMS,
    CATEGORY_COLUMN,
    CATEGORY_NAMESPACE_PREFIX,
    CATEGORY_NAMESPACE_URI,
    BuiltinForm,
)

VERSION = "2026112201"
DEFAULT_LANGUAGE = "English (en)"
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("en", "English (en)"),
    ("ar", "Arabic (ar)"),
    ("id", "Indonesian (id)"),
)

DATA_CATEGORIES = frozenset(
    {
        "identity",
        "contact_location",
        "family",
        "health",
        "psychosocial",
        "education",
        "justice",
        "association_history",
        "protection_concerns",
        "case_management",
    }
)

ALLOWED_FUNCTIONS = frozenset(
    {
        "selected",
        "count-selected",
        "string-length",
        "today",
        "if",
        "not",
        "concat",
        "coalesce",
        "int",
        "number",
        "round",
    }
)

SURVEY_COLUMNS: tuple[str, ...] = (
    "type",
    "name",
    *(f"label::{lang}" for _, lang in LANGUAGES),
    *(f"hint::{lang}" for _, lang in LANGUAGES),
    "required",
    "relevant",
    "constraint",
    *(f"constraint_message::{lang}" for _, lang in LANGUAGES),
    "calculation",
    "default",
    "appearance",
    CATEGORY_COLUMN,
)
CHOICES_COLUMNS: tuple[str, ...] = (
    "list_name",
    "name",
    *(f"label::{lang}" for _, lang in LANGUAGES),
)
SETTINGS_COLUMNS: tuple[str, ...] = (
    "form_title",
    "form_id",
    "version",
    "default_language",
    "instance_name",
    "namespaces",
)

# --------------------------------------------------------------------------
# Building blocks


@dataclass(frozen=True)
class T:
    """A text in English, Arabic and Indonesian."""

    en: str
    ar: str
    id: str

    def get(self, code: str) -> str:
        return str(getattr(self, code))


@dataclass(frozen=True)
class Row:
    """One row of the survey sheet."""

    type: str
    name: str = ""
    label: T | None = None
    hint: T | None = None
    required: bool = False
    relevant: str = ""
    constraint: str = ""
    constraint_message: T | None = None
    calculation: str = ""
    default: str = ""
    appearance: str = ""
    category: str = ""


@dataclass(frozen=True)
class FormDefinition:
    """The survey rows of one built-in form and its instance name."""

    form_id: str
    rows: tuple[Row, ...]
    instance_name: str


Rows = list[Row]


def q(
    type_: str,
    name: str,
    label: T,
    *,
    category: str,
    hint: T | None = None,
    required: bool = False,
    relevant: str = "",
    constraint: str = "",
    constraint_message: T | None = None,
    default: str = "",
    appearance: str = "",
) -> Row:
    """A question holding data, which therefore needs a data category."""
    return Row(
        type=type_,
        name=name,
        label=label,
        hint=hint,
        required=required,
        relevant=relevant,
        constraint=constraint,
        constraint_message=constraint_message,
        default=default,
        appearance=appearance,
        category=category,
    )


def calculate(name: str, calculation: str, *, category: str) -> Row:
    return Row(type="calculate", name=name, calculation=calculation, category=category)


def note(name: str, label: T, *, relevant: str = "") -> Row:
    return Row(type="note", name=name, label=label, relevant=relevant)


def group(name: str, label: T, rows: Iterable[Row], *, relevant: str = "") -> Rows:
    return [
        Row(type="begin_group", name=name, label=label, relevant=relevant),
        *rows,
        Row(type="end_group"),
    ]


def repeat(name: str, label: T, rows: Iterable[Row]) -> Rows:
    return [Row(type="begin_repeat", name=name, label=label), *rows, Row(type="end_repeat")]


def none_is_exclusive() -> tuple[str, T]:
    """Constraint for a select_multiple whose 'none' choice excludes the rest."""
    return (
        "not(selected(., 'none') and count-selected(.) > 1)",
        T(
            "'None' cannot be combined with other answers.",
            "لا يمكن الجمع بين «لا شيء» وإجابات أخرى.",
            "'Tidak ada' tidak dapat digabung dengan jawaban lain.",
        ),
    )


NOT_IN_FUTURE = T(
    "The date cannot be in the future.",
    "لا يمكن أن يكون التاريخ في المستقبل.",
    "Tanggal tidak boleh di masa depan.",
)
TODAY_OR_LATER = T(
    "The date must be today or later.",
    "يجب أن يكون التاريخ اليوم أو بعده.",
    "Tanggal harus hari ini atau sesudahnya.",
)
SPECIFY_OTHER = T("Please specify", "يرجى التحديد", "Harap sebutkan")


def other_text(name: str, select_name: str, *, category: str, multiple: bool = False) -> Row:
    """Translated free-text follow-up of an 'other' choice (instead of or_other)."""
    relevant = (
        f"selected(${{{select_name}}}, 'other')" if multiple else f"${{{select_name}}} = 'other'"
    )
    return q("text", name, SPECIFY_OTHER, category=category, required=True, relevant=relevant)


def dated(name: str, label: T) -> Row:
    """The date a record was made: required and never in the future."""
    return q(
        "date",
        name,
        label,
        category="case_management",
        required=True,
        constraint=". <= today()",
        constraint_message=NOT_IN_FUTURE,
    )


def case_number() -> Row:
    """First field of every form: ties an offline submission to its case."""
    return q(
        "text",
        "case_number",
        T("Case number", "رقم الحالة", "Nomor kasus"),
        category="case_management",
        required=True,
        hint=T(
            "Filled in by Bridgeway. On a mobile device, copy it from the case record.",
            "يملؤه نظام بريدجواي تلقائيًا. على الجهاز المحمول، انسخه من سجل الحالة.",
            "Diisi otomatis oleh Bridgeway. Di perangkat seluler, salin dari catatan kasus.",
        ),
    )


def child_views_block(*, category: str = "case_management", relevant: str = "") -> Rows:
    """How the child was heard, what the child said and what weight it had.

    Shared by every form so that the child's participation (CRC art. 12) is
    recorded the same way in every decision. ``relevant`` exists for one case
    only: a case closed because the child died.
    """
    return group(
        "child_participation",
        T("The child's views", "آراء الطفل", "Pendapat anak"),
        relevant=relevant,
        rows=[
            q(
                "select_one heard_how",
                "child_heard_how",
                T(
                    "How was the child heard?",
                    "كيف تم الاستماع إلى الطفل؟",
                    "Bagaimana pendapat anak didengarkan?",
                ),
                category=category,
                required=True,
                hint=T(
                    "Every child has the right to express views freely in all matters "
                    "affecting them (CRC art. 12).",
                    "لكل طفل الحق في التعبير عن آرائه بحرية في جميع المسائل التي تمسّه "
                    "(المادة 12 من اتفاقية حقوق الطفل).",
                    "Setiap anak berhak menyatakan pendapatnya secara bebas dalam semua hal "
                    "yang memengaruhi dirinya (Pasal 12 Konvensi Hak Anak).",
                ),
            ),
            q(
                "text",
                "child_not_heard_reason",
                T(
                    "Why was it not possible to hear the child?",
                    "لماذا لم يكن من الممكن الاستماع إلى الطفل؟",
                    "Mengapa anak tidak dapat didengarkan?",
                ),
                category=category,
                required=True,
                relevant="${child_heard_how} = 'not_possible'",
                hint=T(
                    "For example the child's health or safety. Say when the child will be heard.",
                    "مثلًا بسبب صحة الطفل أو سلامته. اذكر متى سيتم الاستماع إلى الطفل.",
                    "Misalnya karena kesehatan atau keselamatan anak. Sebutkan kapan anak "
                    "akan didengarkan.",
                ),
            ),
            q(
                "text",
                "child_views",
                T("What the child said", "ما قاله الطفل", "Apa yang dikatakan anak"),
                category=category,
                required=True,
                appearance="multiline",
                hint=T(
                    "Use the child's own words where possible. If the child chose not to "
                    "give views or could not be heard, write that here.",
                    "استخدم كلمات الطفل نفسه قدر الإمكان. إذا اختار الطفل عدم إبداء رأيه "
                    "أو تعذّر الاستماع إليه، فاكتب ذلك هنا.",
                    "Gunakan kata-kata anak sendiri jika memungkinkan. Jika anak memilih "
                    "tidak menyampaikan pendapat atau tidak dapat didengarkan, tuliskan di sini.",
                ),
            ),
            q(
                "text",
                "child_views_weight",
                T(
                    "How the child's views were taken into account",
                    "كيف أُخذت آراء الطفل في الاعتبار",
                    "Bagaimana pendapat anak dipertimbangkan",
                ),
                category=category,
                required=True,
                appearance="multiline",
                hint=T(
                    "Give the views weight according to the child's age and maturity. "
                    "Explain any decision that differs from what the child wants.",
                    "أعطِ الآراء وزنًا يتناسب مع سنّ الطفل ونضجه. اشرح أي قرار يختلف عمّا يريده الطفل.",
                    "Berikan bobot pada pendapat sesuai usia dan kematangan anak. Jelaskan "
                    "setiap keputusan yang berbeda dari keinginan anak.",
                ),
            ),
        ],
    )


def consent_block() -> Rows:
    """Consent for an assessment, following the UNICEF data-protection policy."""
    return [
        q(
            "select_one consent_basis",
            "consent_basis",
            T(
                "Consent for this assessment",
                "الموافقة على هذا التقييم",
                "Persetujuan untuk asesmen ini",
            ),
            category="case_management",
            required=True,
            hint=T(
                "Below the jurisdiction's age of consent (13 by default) the child's "
                "representative consents and the child's assent is recorded.",
                "دون سنّ الموافقة المعتمد في الولاية القضائية (13 عامًا افتراضيًا) يوافق "
                "ممثل الطفل ويُسجَّل قبول الطفل.",
                "Di bawah usia persetujuan yang berlaku di yurisdiksi (bawaan 13 tahun), "
                "wali anak memberikan persetujuan dan kesediaan anak dicatat.",
            ),
        ),
        q(
            "text",
            "consent_not_obtained_reason",
            T(
                "Why is the assessment going ahead without consent?",
                "لماذا يُجرى التقييم دون موافقة؟",
                "Mengapa asesmen tetap dilakukan tanpa persetujuan?",
            ),
            category="case_management",
            required=True,
            relevant="${consent_basis} = 'not_obtained'",
            hint=T(
                "A supervisor may decide to go ahead in the child's best interests; "
                "record the reason and the supervisor's name.",
                "يجوز للمشرف أن يقرر المضي قدمًا بما يحقق مصلحة الطفل الفضلى؛ سجّل السبب "
                "واسم المشرف.",
                "Supervisor dapat memutuskan untuk melanjutkan demi kepentingan terbaik anak; "
                "catat alasannya dan nama supervisor.",
            ),
        ),
    ]


RISK_LEVEL_HINT = T(
    "High: significant harm or death is likely without immediate intervention. "
    "Medium: the child has been or may be harmed, but serious harm is not likely in "
    "the coming days; act within days. "
    "Low: there are concerns, but the child is not at immediate risk and protective "
    "factors are present. "
    "No risk: no current protection concern. "
    "The level sets the time to the next assessment (defaults: high 24 hours, "
    "medium 3 days, low 7 days; set per jurisdiction).",
    "مرتفع: من المرجّح وقوع ضرر جسيم أو وفاة دون تدخل فوري. "
    "متوسط: تعرّض الطفل لضرر أو قد يتعرّض له، لكن الضرر الجسيم غير مرجّح في الأيام "
    "القادمة؛ يلزم التدخل خلال أيام. "
    "منخفض: توجد مخاوف، لكن الطفل ليس معرّضًا لخطر فوري وتتوفر عوامل حماية. "
    "لا يوجد خطر: لا توجد مخاوف حماية حالية. "
    "يحدد المستوى المهلة حتى التقييم التالي (القيم الافتراضية: مرتفع 24 ساعة، "
    "متوسط 3 أيام، منخفض 7 أيام؛ تُحدَّد حسب الولاية القضائية).",
    "Tinggi: kemungkinan besar terjadi bahaya serius atau kematian tanpa intervensi "
    "segera. "
    "Sedang: anak telah atau mungkin mengalami bahaya, tetapi bahaya serius tidak "
    "mungkin terjadi dalam beberapa hari ke depan; bertindak dalam hitungan hari. "
    "Rendah: ada kekhawatiran, tetapi anak tidak dalam risiko langsung dan terdapat "
    "faktor pelindung. "
    "Tidak ada risiko: tidak ada masalah perlindungan saat ini. "
    "Tingkat ini menentukan batas waktu asesmen berikutnya (bawaan: tinggi 24 jam, "
    "sedang 3 hari, rendah 7 hari; diatur per yurisdiksi).",
)


# --------------------------------------------------------------------------
# Choice lists (shared by all forms; each workbook gets the lists it uses)

OTHER = ("other", T("Other", "أخرى", "Lainnya"))
UNKNOWN = ("unknown", T("Unknown", "غير معروف", "Tidak diketahui"))

CHOICES: dict[str, list[tuple[str, T]]] = {
    "yes_no": [
        ("yes", T("Yes", "نعم", "Ya")),
        ("no", T("No", "لا", "Tidak")),
    ],
    "yes_no_unknown": [
        ("yes", T("Yes", "نعم", "Ya")),
        ("no", T("No", "لا", "Tidak")),
        UNKNOWN,
    ],
    "heard_how": [
        (
            "directly",
            T(
                "Directly, in a language the child understands",
                "مباشرةً، بلغة يفهمها الطفل",
                "Langsung, dalam bahasa yang dipahami anak",
            ),
        ),
        ("interpreter", T("Through an interpreter", "عن طريق مترجم", "Melalui juru bahasa")),
        (
            "trusted_adult",
            T(
                "Through a trusted adult chosen by the child",
                "عن طريق شخص بالغ يثق به الطفل ويختاره",
                "Melalui orang dewasa yang dipercaya dan dipilih anak",
            ),
        ),
        (
            "declined",
            T(
                "The child chose not to give views",
                "اختار الطفل عدم إبداء رأيه",
                "Anak memilih untuk tidak menyampaikan pendapat",
            ),
        ),
        (
            "not_possible",
            T(
                "It was not possible to hear the child",
                "لم يكن من الممكن الاستماع إلى الطفل",
                "Anak tidak dapat didengarkan",
            ),
        ),
    ],
    "consent_basis": [
        (
            "child_consent",
            T(
                "The child's own informed consent",
                "موافقة الطفل المستنيرة",
                "Persetujuan anak sendiri setelah mendapat penjelasan",
            ),
        ),
        (
            "representative_consent",
            T(
                "Consent of the child's representative, with the child's assent",
                "موافقة ممثل الطفل، مع قبول الطفل",
                "Persetujuan wali anak, disertai kesediaan anak",
            ),
        ),
        ("not_obtained", T("Not obtained", "لم يتم الحصول عليها", "Tidak diperoleh")),
    ],
    "risk_level": [
        ("high", T("High", "مرتفع", "Tinggi")),
        ("medium", T("Medium", "متوسط", "Sedang")),
        ("low", T("Low", "منخفض", "Rendah")),
        ("none", T("No risk", "لا يوجد خطر", "Tidak ada risiko")),
    ],
    "association_context": [
        (
            "terrorist_group",
            T(
                "A group designated as terrorist",
                "جماعة مصنّفة إرهابية",
                "Kelompok yang ditetapkan sebagai teroris",
            ),
        ),
        (
            "organized_criminal_group",
            T(
                "An organized criminal group",
                "جماعة إجرامية منظمة",
                "Kelompok kriminal terorganisasi",
            ),
        ),
        ("armed_group", T("Another armed group", "جماعة مسلحة أخرى", "Kelompok bersenjata lain")),
        (
            "family_link",
            T(
                "Linked only through family members",
                "مرتبط عن طريق أفراد الأسرة فقط",
                "Terkait hanya melalui anggota keluarga",
            ),
        ),
        ("unknown", T("Not known yet", "غير معروف بعد", "Belum diketahui")),
    ],
    "identification_source": [
        (
            "police",
            T(
                "Police or security services",
                "الشرطة أو الأجهزة الأمنية",
                "Polisi atau aparat keamanan",
            ),
        ),
        (
            "justice",
            T("Court or prosecutor", "المحكمة أو النيابة العامة", "Pengadilan atau kejaksaan"),
        ),
        (
            "repatriation",
            T(
                "Repatriation from abroad",
                "الإعادة إلى الوطن من الخارج",
                "Repatriasi dari luar negeri",
            ),
        ),
        ("family", T("Family or caregiver", "الأسرة أو مقدّم الرعاية", "Keluarga atau pengasuh")),
        (
            "community",
            T(
                "Community member or leader",
                "أحد أفراد المجتمع أو قادته",
                "Anggota atau tokoh masyarakat",
            ),
        ),
        ("school", T("School", "المدرسة", "Sekolah")),
        ("health", T("Health services", "الخدمات الصحية", "Layanan kesehatan")),
        (
            "social_services",
            T(
                "Social services or a non-governmental organization",
                "الخدمات الاجتماعية أو منظمة غير حكومية",
                "Layanan sosial atau lembaga swadaya masyarakat",
            ),
        ),
        ("self", T("The child", "الطفل نفسه", "Anak sendiri")),
        OTHER,
    ],
    "living_situation": [
        (
            "parents",
            T(
                "With one or both parents",
                "مع أحد الوالدين أو كليهما",
                "Bersama salah satu atau kedua orang tua",
            ),
        ),
        ("relatives", T("With relatives", "مع الأقارب", "Bersama kerabat")),
        ("foster_family", T("Foster family", "أسرة حاضنة", "Keluarga asuh")),
        (
            "residential_care",
            T("Residential care facility", "مؤسسة رعاية إيوائية", "Lembaga pengasuhan (panti)"),
        ),
        (
            "deprived_of_liberty",
            T(
                "Deprived of liberty (detention)",
                "محروم من الحرية (احتجاز)",
                "Dirampas kemerdekaannya (penahanan)",
            ),
        ),
        (
            "camp",
            T("Camp or displacement site", "مخيم أو موقع نزوح", "Kamp atau lokasi pengungsian"),
        ),
        ("alone", T("Alone or on the street", "بمفرده أو في الشارع", "Sendiri atau di jalanan")),
        OTHER,
    ],
    "separation": [
        (
            "not_separated",
            T(
                "Living with usual caregivers",
                "يعيش مع مقدّمي الرعاية المعتادين",
                "Tinggal bersama pengasuh sehari-harinya",
            ),
        ),
        (
            "separated",
            T(
                "Separated from parents, with other relatives",
                "منفصل عن والديه، ويعيش مع أقارب آخرين",
                "Terpisah dari orang tua, bersama kerabat lain",
            ),
        ),
        (
            "unaccompanied",
            T(
                "Unaccompanied (no adult is caring for the child)",
                "غير مصحوب (لا يرعاه أي شخص بالغ)",
                "Tanpa pendamping (tidak ada orang dewasa yang mengasuh anak)",
            ),
        ),
        UNKNOWN,
    ],
    "protection_concern": [
        (
            "injury",
            T(
                "Physical injury or illness needing care",
                "إصابة جسدية أو مرض يحتاج إلى رعاية",
                "Cedera fisik atau penyakit yang perlu dirawat",
            ),
        ),
        ("distress", T("Severe emotional distress", "ضيق نفسي شديد", "Tekanan emosional berat")),
        (
            "threats",
            T(
                "Threats or risk of reprisal",
                "تهديدات أو خطر الانتقام",
                "Ancaman atau risiko pembalasan",
            ),
        ),
        (
            "re_recruitment",
            T("Risk of being recruited again", "خطر التجنيد مجددًا", "Risiko direkrut kembali"),
        ),
        (
            "sexual_violence",
            T(
                "Sexual violence or abuse",
                "عنف أو اعتداء جنسي",
                "Kekerasan atau pelecehan seksual",
            ),
        ),
        (
            "exploitation",
            T(
                "Exploitation (labour, trafficking, use in crime)",
                "استغلال (عمل، اتجار بالبشر، استخدام في الجريمة)",
                "Eksploitasi (kerja, perdagangan orang, dimanfaatkan dalam kejahatan)",
            ),
        ),
        (
            "no_caregiver",
            T(
                "No adult caring for the child",
                "لا يوجد شخص بالغ يرعى الطفل",
                "Tidak ada orang dewasa yang mengasuh anak",
            ),
        ),
        (
            "detention",
            T("Detention or its conditions", "الاحتجاز أو ظروفه", "Penahanan atau kondisinya"),
        ),
        (
            "stigma",
            T(
                "Stigma or rejection by family or community",
                "الوصم أو الرفض من الأسرة أو المجتمع",
                "Stigma atau penolakan oleh keluarga atau masyarakat",
            ),
        ),
        (
            "no_documents",
            T(
                "No civil documents (birth registration, identity papers)",
                "عدم وجود وثائق مدنية (تسجيل الولادة، أوراق الهوية)",
                "Tidak memiliki dokumen kependudukan (akta kelahiran, kartu identitas)",
            ),
        ),
        ("none", T("None identified", "لم يُحدَّد أي منها", "Tidak ada yang teridentifikasi")),
    ],
    "immediate_action": [
        ("medical", T("Medical care", "رعاية طبية", "Perawatan medis")),
        ("safe_place", T("Safe accommodation", "مأوى آمن", "Tempat tinggal yang aman")),
        ("family_tracing", T("Family tracing", "البحث عن الأسرة", "Penelusuran keluarga")),
        ("legal_aid", T("Legal aid", "مساعدة قانونية", "Bantuan hukum")),
        (
            "pfa",
            T(
                "Psychological first aid",
                "الإسعافات الأولية النفسية",
                "Pertolongan pertama psikologis",
            ),
        ),
        (
            "referral",
            T("Referral to another agency", "إحالة إلى جهة أخرى", "Rujukan ke lembaga lain"),
        ),
        (
            "none",
            T(
                "No immediate action needed",
                "لا حاجة إلى إجراء فوري",
                "Tidak perlu tindakan segera",
            ),
        ),
    ],
    "strength_0_3": [
        ("0", T("0 = Not seen yet", "0 = غير ظاهرة بعد", "0 = Belum terlihat")),
        ("1", T("1 = Emerging", "1 = في طور الظهور", "1 = Mulai tumbuh")),
        ("2", T("2 = Present", "2 = موجودة", "2 = Ada")),
        ("3", T("3 = Strong", "3 = قوية", "3 = Kuat")),
    ],
    "concern_0_3": [
        ("0", T("0 = None", "0 = لا يوجد", "0 = Tidak ada")),
        ("1", T("1 = Mild", "1 = خفيف", "1 = Ringan")),
        ("2", T("2 = Moderate", "2 = متوسط", "2 = Sedang")),
        ("3", T("3 = Severe", "3 = شديد", "3 = Berat")),
    ],
    "distress_sign": [
        (
            "sleep",
            T(
                "Sleep problems or nightmares",
                "مشكلات في النوم أو كوابيس",
                "Gangguan tidur atau mimpi buruk",
            ),
        ),
        (
            "withdrawal",
            T("Withdrawal from others", "الانعزال عن الآخرين", "Menarik diri dari orang lain"),
        ),
        (
            "anger",
            T("Frequent anger or aggression", "غضب أو عدوانية متكررة", "Sering marah atau agresif"),
        ),
        (
            "fear",
            T(
                "Persistent fear or worry",
                "خوف أو قلق مستمر",
                "Rasa takut atau cemas yang terus-menerus",
            ),
        ),
        ("hopelessness", T("Hopelessness", "اليأس", "Putus asa")),
        (
            "self_harm",
            T(
                "Thoughts of self-harm or suicide",
                "أفكار إيذاء النفس أو الانتحار",
                "Pikiran untuk menyakiti diri atau bunuh diri",
            ),
        ),
        ("none", T("None observed", "لم يُلاحَظ أي منها", "Tidak ada yang teramati")),
    ],
    "bia_reason": [
        (
            "initial_care",
            T("Initial care arrangement", "ترتيب الرعاية الأولي", "Pengaturan pengasuhan awal"),
        ),
        (
            "family_reunification",
            T(
                "Family tracing and reunification",
                "البحث عن الأسرة ولمّ الشمل",
                "Penelusuran dan penyatuan kembali keluarga",
            ),
        ),
        (
            "alternative_care",
            T(
                "Alternative care placement",
                "الإيداع في رعاية بديلة",
                "Penempatan dalam pengasuhan alternatif",
            ),
        ),
        (
            "justice",
            T(
                "Decision in justice proceedings",
                "قرار في إجراءات قضائية",
                "Keputusan dalam proses peradilan",
            ),
        ),
        ("repatriation", T("Repatriation", "الإعادة إلى الوطن", "Repatriasi")),
        ("services", T("Access to services", "الحصول على الخدمات", "Akses ke layanan")),
        (
            "plan_change",
            T(
                "Change to the reintegration plan",
                "تغيير في خطة إعادة الإدماج",
                "Perubahan rencana reintegrasi",
            ),
        ),
        OTHER,
    ],
    "caregiver_capacity": [
        (
            "able",
            T(
                "Able to care for and protect the child",
                "قادر على رعاية الطفل وحمايته",
                "Mampu mengasuh dan melindungi anak",
            ),
        ),
        ("with_support", T("Able with support", "قادر مع توفر الدعم", "Mampu jika didukung")),
        ("not_able", T("Not able at present", "غير قادر حاليًا", "Belum mampu saat ini")),
        (
            "no_caregiver",
            T(
                "No caregiver identified",
                "لم يُحدَّد مقدّم رعاية",
                "Belum ada pengasuh yang teridentifikasi",
            ),
        ),
        UNKNOWN,
    ],
    "bid_subject": [
        ("durable_solution", T("Durable solution", "حل دائم", "Solusi jangka panjang")),
        (
            "separation",
            T(
                "Separation from parents against their will",
                "الفصل عن الوالدين رغمًا عنهما",
                "Pemisahan dari orang tua di luar kehendak mereka",
            ),
        ),
        (
            "repatriation",
            T(
                "Repatriation of an unaccompanied or separated child",
                "إعادة طفل غير مصحوب أو منفصل عن ذويه إلى الوطن",
                "Repatriasi anak tanpa pendamping atau terpisah",
            ),
        ),
        (
            "alternative_care",
            T(
                "Long-term alternative care",
                "رعاية بديلة طويلة الأمد",
                "Pengasuhan alternatif jangka panjang",
            ),
        ),
        (
            "complex_case",
            T(
                "Complex case referred by the caseworker",
                "حالة معقدة أحالها مدير الحالة",
                "Kasus kompleks yang dirujuk oleh manajer kasus",
            ),
        ),
        OTHER,
    ],
    "family_contact": [
        ("regular", T("Regular contact", "تواصل منتظم", "Kontak teratur")),
        ("occasional", T("Occasional contact", "تواصل متقطع", "Kontak sesekali")),
        ("none", T("No contact", "لا يوجد تواصل", "Tidak ada kontak")),
        UNKNOWN,
    ],
    "justice_involvement": [
        ("none", T("None", "لا شيء", "Tidak ada")),
        ("investigation", T("Under investigation", "قيد التحقيق", "Dalam penyidikan")),
        (
            "proceedings",
            T(
                "Court proceedings ongoing",
                "إجراءات قضائية جارية",
                "Proses peradilan sedang berjalan",
            ),
        ),
        (
            "diversion",
            T(
                "Diversion measure",
                "تدبير تحويلي بديل عن الإجراءات القضائية",
                "Diversi",
            ),
        ),
        ("sentence", T("Serving a sentence", "يقضي عقوبة", "Sedang menjalani hukuman")),
        (
            "victim_witness",
            T(
                "Victim or witness in proceedings",
                "ضحية أو شاهد في إجراءات قضائية",
                "Korban atau saksi dalam proses peradilan",
            ),
        ),
        UNKNOWN,
    ],
    "community_acceptance": [
        ("accepting", T("Accepting", "متقبّل", "Menerima")),
        ("mixed", T("Mixed", "متفاوت", "Beragam")),
        ("rejecting", T("Rejecting or hostile", "رافض أو معادٍ", "Menolak atau bermusuhan")),
        UNKNOWN,
    ],
    "school_attendance": [
        ("regular", T("Attending regularly", "يحضر بانتظام", "Hadir secara teratur")),
        ("irregular", T("Attending irregularly", "يحضر بشكل غير منتظم", "Hadir tidak teratur")),
        ("not_attending", T("Not attending", "لا يحضر", "Tidak bersekolah")),
        (
            "training",
            T("In vocational training", "في تدريب مهني", "Mengikuti pelatihan kejuruan"),
        ),
        ("not_applicable", T("Not applicable", "لا ينطبق", "Tidak berlaku")),
    ],
    "panel_role": [
        ("chair", T("Chair", "رئيس اللجنة", "Ketua panel")),
        (
            "child_protection",
            T("Child protection officer", "مسؤول حماية الطفل", "Petugas perlindungan anak"),
        ),
        (
            "caseworker",
            T(
                "Social worker or caseworker",
                "أخصائي اجتماعي أو مدير حالة",
                "Pekerja sosial atau manajer kasus",
            ),
        ),
        (
            "psychologist",
            T(
                "Psychologist or mental health professional",
                "أخصائي نفسي أو مختص في الصحة النفسية",
                "Psikolog atau tenaga kesehatan jiwa",
            ),
        ),
        ("legal", T("Legal adviser", "مستشار قانوني", "Penasihat hukum")),
        ("health", T("Health professional", "مختص صحي", "Tenaga kesehatan")),
        ("education", T("Education professional", "مختص في التعليم", "Tenaga pendidikan")),
        OTHER,
    ],
    "panel_decision_mode": [
        ("consensus", T("Consensus", "بالإجماع", "Mufakat")),
        ("majority", T("Majority", "بالأغلبية", "Suara terbanyak")),
    ],
    "informed": [
        ("yes", T("Yes", "نعم", "Ya")),
        ("not_yet", T("Not yet (planned)", "ليس بعد (مخطط له)", "Belum (direncanakan)")),
    ],
    "agreement": [
        ("agrees", T("Agrees", "موافق", "Setuju")),
        ("partly", T("Partly agrees", "موافق جزئيًا", "Setuju sebagian")),
        ("disagrees", T("Does not agree", "غير موافق", "Tidak setuju")),
    ],
    "goal_domain": [
        ("family", T("Family", "الأسرة", "Keluarga")),
        ("education", T("Education", "التعليم", "Pendidikan")),
        ("health", T("Health", "الصحة", "Kesehatan")),
        (
            "psychosocial",
            T("Psychosocial well-being", "الرفاه النفسي والاجتماعي", "Kesejahteraan psikososial"),
        ),
        (
            "livelihood",
            T("Livelihood and skills", "سبل العيش والمهارات", "Mata pencaharian dan keterampilan"),
        ),
        ("community", T("Community life", "الحياة المجتمعية", "Kehidupan bermasyarakat")),
        (
            "legal_documentation",
            T(
                "Legal and civil documentation",
                "الوثائق القانونية والمدنية",
                "Dokumen hukum dan kependudukan",
            ),
        ),
    ],
    "action_status": [
        ("not_started", T("Not started", "لم يبدأ", "Belum dimulai")),
        ("in_progress", T("In progress", "قيد التنفيذ", "Sedang berjalan")),
        ("done", T("Done", "منجز", "Selesai")),
        ("delayed", T("Delayed", "متأخر", "Tertunda")),
        ("cancelled", T("Cancelled", "ملغى", "Dibatalkan")),
    ],
    "goal_status": [
        ("not_started", T("Not started", "لم يبدأ", "Belum dimulai")),
        ("in_progress", T("In progress", "قيد التنفيذ", "Sedang berjalan")),
        ("achieved", T("Achieved", "تحقّق", "Tercapai")),
        ("revised", T("Revised", "عُدِّل", "Direvisi")),
        ("discontinued", T("Discontinued", "أُوقف", "Dihentikan")),
    ],
    "visit_type": [
        ("home", T("Home visit", "زيارة منزلية", "Kunjungan rumah")),
        ("school", T("School visit", "زيارة مدرسية", "Kunjungan sekolah")),
        ("office", T("Meeting at the office", "لقاء في المكتب", "Pertemuan di kantor")),
        (
            "care_facility",
            T(
                "Visit to a care facility",
                "زيارة إلى مؤسسة رعاية",
                "Kunjungan ke lembaga pengasuhan",
            ),
        ),
        (
            "detention",
            T(
                "Visit to a place of detention",
                "زيارة إلى مكان احتجاز",
                "Kunjungan ke tempat penahanan",
            ),
        ),
        (
            "remote",
            T("Phone or video call", "مكالمة هاتفية أو مرئية", "Panggilan telepon atau video"),
        ),
        OTHER,
    ],
    "change": [
        ("better", T("Better", "أفضل", "Lebih baik")),
        ("same", T("About the same", "على حاله تقريبًا", "Kurang lebih sama")),
        ("worse", T("Worse", "أسوأ", "Lebih buruk")),
    ],
    "service": [
        ("psychosocial", T("Psychosocial support", "دعم نفسي واجتماعي", "Dukungan psikososial")),
        ("health", T("Health care", "رعاية صحية", "Layanan kesehatan")),
        ("education", T("Education or training", "تعليم أو تدريب", "Pendidikan atau pelatihan")),
        ("family_support", T("Family support", "دعم الأسرة", "Dukungan keluarga")),
        ("legal", T("Legal assistance", "مساعدة قانونية", "Bantuan hukum")),
        ("livelihood", T("Livelihood support", "دعم سبل العيش", "Dukungan mata pencaharian")),
        ("community", T("Community activities", "أنشطة مجتمعية", "Kegiatan kemasyarakatan")),
        ("documentation", T("Civil documentation", "الوثائق المدنية", "Dokumen kependudukan")),
        ("none", T("None", "لا شيء", "Tidak ada")),
    ],
    "closure_reason": [
        (
            "goals_achieved",
            T(
                "Reintegration plan goals achieved and follow-up completed",
                "تحققت أهداف خطة إعادة الإدماج واكتملت المتابعة",
                "Tujuan rencana reintegrasi tercapai dan tindak lanjut selesai",
            ),
        ),
        (
            "reached_adulthood",
            T(
                "Reached 18 and handed over to adult services",
                "بلغ 18 عامًا وأُحيل إلى خدمات البالغين",
                "Mencapai usia 18 tahun dan dialihkan ke layanan dewasa",
            ),
        ),
        (
            "transferred",
            T(
                "Transferred to another agency or country",
                "نُقلت الحالة إلى جهة أخرى أو بلد آخر",
                "Dialihkan ke lembaga atau negara lain",
            ),
        ),
        (
            "moved_no_contact",
            T(
                "Moved away and could not be reached",
                "انتقل ولم يعد من الممكن التواصل معه",
                "Pindah dan tidak dapat dihubungi",
            ),
        ),
        (
            "declined",
            T(
                "The child or family no longer wishes to receive services",
                "لم يعد الطفل أو الأسرة يرغبون في تلقي الخدمات",
                "Anak atau keluarga tidak lagi ingin menerima layanan",
            ),
        ),
        ("died", T("Death of the child", "وفاة الطفل", "Anak meninggal dunia")),
        OTHER,
    ],
}


# --------------------------------------------------------------------------
# The forms


def initial_assessment() -> Rows:
    return [
        case_number(),
        dated("assessment_date", T("Date of assessment", "تاريخ التقييم", "Tanggal asesmen")),
        q(
            "text",
            "assessment_place",
            T("Place of assessment", "مكان التقييم", "Tempat asesmen"),
            category="contact_location",
        ),
        *consent_block(),
        *group(
            "circumstances",
            T("Circumstances", "الظروف", "Keadaan anak"),
            [
                q(
                    "select_one identification_source",
                    "identification_source",
                    T(
                        "How did the child come to the attention of services?",
                        "كيف وصل الطفل إلى علم الخدمات؟",
                        "Bagaimana anak diketahui oleh layanan?",
                    ),
                    category="case_management",
                    required=True,
                ),
                other_text(
                    "identification_source_other",
                    "identification_source",
                    category="case_management",
                ),
                q(
                    "select_one association_context",
                    "association_context",
                    T(
                        "Group the child is associated with",
                        "الجماعة التي يرتبط بها الطفل",
                        "Kelompok yang terkait dengan anak",
                    ),
                    category="association_history",
                    hint=T(
                        "Record what is already known. Do not question the child about the "
                        "group at this stage.",
                        "سجّل ما هو معروف مسبقًا. لا تستجوب الطفل بشأن الجماعة في هذه المرحلة.",
                        "Catat apa yang sudah diketahui. Jangan menanyai anak tentang kelompok "
                        "tersebut pada tahap ini.",
                    ),
                ),
                q(
                    "select_one living_situation",
                    "living_situation",
                    T(
                        "Where is the child living now?",
                        "أين يعيش الطفل الآن؟",
                        "Di mana anak tinggal sekarang?",
                    ),
                    category="contact_location",
                    required=True,
                ),
                other_text(
                    "living_situation_other", "living_situation", category="contact_location"
                ),
                q(
                    "select_one separation",
                    "separation",
                    T(
                        "Separation from family",
                        "الانفصال عن الأسرة",
                        "Keterpisahan dari keluarga",
                    ),
                    category="family",
                    required=True,
                ),
            ],
        ),
        *group(
            "immediate_needs",
            T(
                "Immediate safety and needs",
                "السلامة والاحتياجات العاجلة",
                "Keselamatan dan kebutuhan mendesak",
            ),
            [
                q(
                    "select_multiple protection_concern",
                    "immediate_concerns",
                    T(
                        "Immediate protection concerns",
                        "مخاوف الحماية العاجلة",
                        "Masalah perlindungan yang mendesak",
                    ),
                    category="protection_concerns",
                    required=True,
                    constraint=none_is_exclusive()[0],
                    constraint_message=none_is_exclusive()[1],
                ),
                q(
                    "text",
                    "health_details",
                    T(
                        "Health needs and care already given",
                        "الاحتياجات الصحية والرعاية المقدّمة",
                        "Kebutuhan kesehatan dan perawatan yang sudah diberikan",
                    ),
                    category="health",
                    relevant="selected(${immediate_concerns}, 'injury')",
                    required=True,
                ),
                q(
                    "text",
                    "safety_details",
                    T(
                        "Describe the safety concerns",
                        "صِف المخاوف المتعلقة بالسلامة",
                        "Jelaskan masalah keselamatan",
                    ),
                    category="protection_concerns",
                    relevant="not(selected(${immediate_concerns}, 'none'))",
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "risk",
            T("Risk level", "مستوى الخطر", "Tingkat risiko"),
            [
                q(
                    "select_one risk_level",
                    "risk_level",
                    T("Risk level", "مستوى الخطر", "Tingkat risiko"),
                    category="case_management",
                    required=True,
                    hint=RISK_LEVEL_HINT,
                ),
                q(
                    "text",
                    "risk_reason",
                    T(
                        "Why this risk level?",
                        "لماذا هذا المستوى من الخطر؟",
                        "Mengapa tingkat risiko ini?",
                    ),
                    category="protection_concerns",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_multiple immediate_action",
                    "immediate_actions",
                    T(
                        "Immediate actions taken or arranged",
                        "الإجراءات العاجلة المتخذة أو المرتّبة",
                        "Tindakan segera yang diambil atau diatur",
                    ),
                    category="case_management",
                    required=True,
                    constraint=none_is_exclusive()[0],
                    constraint_message=none_is_exclusive()[1],
                ),
                note(
                    "high_risk_note",
                    T(
                        "High risk: inform your supervisor today and act within 24 hours.",
                        "خطر مرتفع: أبلغ مشرفك اليوم وتصرّف خلال 24 ساعة.",
                        "Risiko tinggi: beri tahu supervisor Anda hari ini dan bertindak dalam "
                        "24 jam.",
                    ),
                    relevant="${risk_level} = 'high'",
                ),
            ],
        ),
        *child_views_block(),
        q(
            "text",
            "next_steps",
            T("Next steps", "الخطوات التالية", "Langkah selanjutnya"),
            category="case_management",
            appearance="multiline",
        ),
    ]


def _scale(list_name: str, name: str, label: T, *, category: str) -> Row:
    return q(f"select_one {list_name}", name, label, category=category, required=True)


def _sum(names: Sequence[str]) -> str:
    """Sum of scale answers; an unanswered item counts 0 while the form is filled."""
    return " + ".join(f"coalesce(${{{name}}}, 0)" for name in names)


RESILIENCE_ITEMS = ("res_strengths", "res_relationships", "res_coping", "res_aspirations")
NEED_ITEMS = (
    "need_safety",
    "need_emotional",
    "need_health",
    "need_family",
    "need_education",
    "need_documentation",
    "need_legal",
)
VULNERABILITY_ITEMS = (
    "vul_separation",
    "vul_violence",
    "vul_stigma",
    "vul_group_contact",
    "vul_substance",
    "vul_disability",
    "vul_liberty",
)


def psychosocial_assessment() -> Rows:
    return [
        case_number(),
        dated("assessment_date", T("Date of assessment", "تاريخ التقييم", "Tanggal asesmen")),
        q(
            "integer",
            "sessions",
            T(
                "Number of sessions used for this assessment",
                "عدد الجلسات المستخدمة في هذا التقييم",
                "Jumlah sesi yang digunakan untuk asesmen ini",
            ),
            category="case_management",
            required=True,
            default="1",
            constraint=". >= 1 and . <= 20",
            constraint_message=T(
                "Enter a number from 1 to 20.",
                "أدخل رقمًا من 1 إلى 20.",
                "Masukkan angka dari 1 sampai 20.",
            ),
        ),
        *consent_block(),
        note(
            "approach_note",
            T(
                "Start from the child's strengths. Do not press the child to talk about "
                "painful experiences; stop if the child becomes distressed.",
                "ابدأ بنقاط قوة الطفل. لا تضغط على الطفل للحديث عن تجارب مؤلمة؛ وتوقّف "
                "إذا شعر الطفل بالضيق.",
                "Mulailah dari kekuatan anak. Jangan memaksa anak membicarakan pengalaman "
                "yang menyakitkan; hentikan jika anak merasa tertekan.",
            ),
        ),
        *group(
            "resilience",
            T("Resilience", "القدرة على الصمود", "Resiliensi"),
            [
                _scale(
                    "strength_0_3",
                    "res_strengths",
                    T(
                        "Personal strengths and skills (talents, interests, problem solving)",
                        "نقاط القوة والمهارات الشخصية (المواهب، الاهتمامات، حلّ المشكلات)",
                        "Kekuatan dan keterampilan pribadi (bakat, minat, pemecahan masalah)",
                    ),
                    category="psychosocial",
                ),
                _scale(
                    "strength_0_3",
                    "res_relationships",
                    T(
                        "Supportive relationships (family, friends, trusted adults)",
                        "علاقات داعمة (الأسرة، الأصدقاء، بالغون موثوق بهم)",
                        "Hubungan yang mendukung (keluarga, teman, orang dewasa yang dipercaya)",
                    ),
                    category="psychosocial",
                ),
                q(
                    "text",
                    "supportive_people",
                    T(
                        "Who supports the child? (names or roles)",
                        "من يدعم الطفل؟ (الأسماء أو الأدوار)",
                        "Siapa yang mendukung anak? (nama atau peran)",
                    ),
                    category="family",
                ),
                _scale(
                    "strength_0_3",
                    "res_coping",
                    T(
                        "Coping with stress and difficult feelings",
                        "التعامل مع الضغوط والمشاعر الصعبة",
                        "Cara mengatasi stres dan perasaan sulit",
                    ),
                    category="psychosocial",
                ),
                _scale(
                    "strength_0_3",
                    "res_aspirations",
                    T(
                        "Hopes and plans for the future",
                        "الآمال والخطط للمستقبل",
                        "Harapan dan rencana untuk masa depan",
                    ),
                    category="psychosocial",
                ),
                q(
                    "text",
                    "aspirations_own_words",
                    T(
                        "The child's hopes, in their own words",
                        "آمال الطفل، بكلماته الخاصة",
                        "Harapan anak, dengan kata-katanya sendiri",
                    ),
                    category="psychosocial",
                    relevant="${res_aspirations} != '0'",
                ),
                calculate("resilience_score", _sum(RESILIENCE_ITEMS), category="psychosocial"),
            ],
        ),
        *group(
            "needs",
            T("Needs", "الاحتياجات", "Kebutuhan"),
            [
                note(
                    "needs_scale_note",
                    T(
                        "Rate each need: 0 = no need, 3 = severe, urgent need.",
                        "قيّم كل احتياج: 0 = لا يوجد احتياج، 3 = احتياج شديد وعاجل.",
                        "Nilai setiap kebutuhan: 0 = tidak ada kebutuhan, 3 = kebutuhan berat "
                        "dan mendesak.",
                    ),
                ),
                _scale(
                    "concern_0_3",
                    "need_safety",
                    T("Safety and protection", "السلامة والحماية", "Keselamatan dan perlindungan"),
                    category="protection_concerns",
                ),
                _scale(
                    "concern_0_3",
                    "need_emotional",
                    T(
                        "Emotional and mental health support",
                        "الدعم العاطفي ودعم الصحة النفسية",
                        "Dukungan emosional dan kesehatan jiwa",
                    ),
                    category="psychosocial",
                ),
                _scale(
                    "concern_0_3",
                    "need_health",
                    T(
                        "Physical health care",
                        "الرعاية الصحية الجسدية",
                        "Perawatan kesehatan fisik",
                    ),
                    category="health",
                ),
                _scale(
                    "concern_0_3",
                    "need_family",
                    T(
                        "Family contact, tracing or support",
                        "التواصل مع الأسرة أو البحث عنها أو دعمها",
                        "Kontak, penelusuran, atau dukungan keluarga",
                    ),
                    category="family",
                ),
                _scale(
                    "concern_0_3",
                    "need_education",
                    T(
                        "Education or vocational training",
                        "التعليم أو التدريب المهني",
                        "Pendidikan atau pelatihan kejuruan",
                    ),
                    category="education",
                ),
                _scale(
                    "concern_0_3",
                    "need_documentation",
                    T(
                        "Civil documentation (birth registration, identity papers)",
                        "الوثائق المدنية (تسجيل الولادة، أوراق الهوية)",
                        "Dokumen kependudukan (akta kelahiran, kartu identitas)",
                    ),
                    category="identity",
                ),
                _scale(
                    "concern_0_3",
                    "need_legal",
                    T("Legal assistance", "المساعدة القانونية", "Bantuan hukum"),
                    category="justice",
                ),
                calculate("needs_score", _sum(NEED_ITEMS), category="psychosocial"),
                q(
                    "text",
                    "priority_needs",
                    T(
                        "Priority needs, most urgent first",
                        "الاحتياجات ذات الأولوية، الأكثر إلحاحًا أولًا",
                        "Kebutuhan prioritas, yang paling mendesak lebih dulu",
                    ),
                    category="psychosocial",
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "vulnerability",
            T("Vulnerability factors", "عوامل الهشاشة", "Faktor kerentanan"),
            [
                note(
                    "vulnerability_scale_note",
                    T(
                        "Rate each factor: 0 = not present, 3 = strongly present.",
                        "قيّم كل عامل: 0 = غير موجود، 3 = موجود بقوة.",
                        "Nilai setiap faktor: 0 = tidak ada, 3 = sangat kuat.",
                    ),
                ),
                _scale(
                    "concern_0_3",
                    "vul_separation",
                    T(
                        "Separation from or loss of family",
                        "الانفصال عن الأسرة أو فقدانها",
                        "Terpisah dari atau kehilangan keluarga",
                    ),
                    category="family",
                ),
                _scale(
                    "concern_0_3",
                    "vul_violence",
                    T(
                        "Exposure to violence or traumatic events",
                        "التعرض للعنف أو لأحداث صادمة",
                        "Terpapar kekerasan atau peristiwa traumatis",
                    ),
                    category="psychosocial",
                ),
                _scale(
                    "concern_0_3",
                    "vul_stigma",
                    T(
                        "Stigma or rejection by the community",
                        "الوصم أو الرفض من المجتمع",
                        "Stigma atau penolakan oleh masyarakat",
                    ),
                    category="protection_concerns",
                ),
                _scale(
                    "concern_0_3",
                    "vul_group_contact",
                    T(
                        "Continued contact with or pressure from the group or its recruiters, "
                        "in person or online",
                        "استمرار التواصل مع الجماعة أو مجنّديها أو الضغط منهم، وجهًا لوجه أو "
                        "عبر الإنترنت",
                        "Kontak atau tekanan yang berlanjut dari kelompok atau perekrutnya, "
                        "secara langsung maupun daring",
                    ),
                    category="protection_concerns",
                ),
                _scale(
                    "concern_0_3",
                    "vul_substance",
                    T(
                        "Use of alcohol or drugs",
                        "تعاطي الكحول أو المخدرات",
                        "Penggunaan alkohol atau narkoba",
                    ),
                    category="health",
                ),
                _scale(
                    "concern_0_3",
                    "vul_disability",
                    T(
                        "Disability or chronic illness",
                        "إعاقة أو مرض مزمن",
                        "Disabilitas atau penyakit kronis",
                    ),
                    category="health",
                ),
                _scale(
                    "concern_0_3",
                    "vul_liberty",
                    T(
                        "Current or past deprivation of liberty",
                        "الحرمان من الحرية حاليًا أو سابقًا",
                        "Perampasan kemerdekaan saat ini atau sebelumnya",
                    ),
                    category="justice",
                ),
                calculate(
                    "vulnerability_score", _sum(VULNERABILITY_ITEMS), category="psychosocial"
                ),
            ],
        ),
        *group(
            "distress",
            T("Signs of distress", "علامات الضيق النفسي", "Tanda-tanda tekanan psikologis"),
            [
                q(
                    "select_multiple distress_sign",
                    "distress_signs",
                    T(
                        "Signs of distress observed or reported",
                        "علامات الضيق الملاحَظة أو المُبلَّغ عنها",
                        "Tanda-tanda tekanan yang teramati atau dilaporkan",
                    ),
                    category="psychosocial",
                    required=True,
                    constraint=none_is_exclusive()[0],
                    constraint_message=none_is_exclusive()[1],
                ),
                note(
                    "self_harm_note",
                    T(
                        "Refer the child today to a mental health professional and make a "
                        "safety plan with the child.",
                        "أحِل الطفل اليوم إلى مختص في الصحة النفسية وضع خطة سلامة مع الطفل.",
                        "Rujuk anak hari ini ke tenaga kesehatan jiwa dan buat rencana "
                        "keselamatan bersama anak.",
                    ),
                    relevant="selected(${distress_signs}, 'self_harm')",
                ),
                q(
                    "select_one yes_no",
                    "mental_health_referral",
                    T(
                        "Referral to a mental health professional made?",
                        "هل تمت الإحالة إلى مختص في الصحة النفسية؟",
                        "Sudah dirujuk ke tenaga kesehatan jiwa?",
                    ),
                    category="health",
                    required=True,
                    relevant="selected(${distress_signs}, 'self_harm')",
                ),
            ],
        ),
        *group(
            "summary",
            T("Summary", "الخلاصة", "Ringkasan"),
            [
                calculate(
                    "summary_score",
                    "${needs_score} + ${vulnerability_score}",
                    category="psychosocial",
                ),
                note(
                    "scores_note",
                    T(
                        "The scores (resilience 0 to 12, needs and vulnerability together 0 to 42) "
                        "support professional judgement; they do not replace it.",
                        "الدرجات (الصمود من 0 إلى 12، والاحتياجات والهشاشة معًا من 0 إلى 42) "
                        "تدعم التقدير المهني ولا تحلّ محلّه.",
                        "Skor (resiliensi 0 sampai 12, kebutuhan dan kerentanan bersama 0 sampai 42) "
                        "mendukung penilaian profesional, bukan menggantikannya.",
                    ),
                ),
                q(
                    "text",
                    "gender_age_considerations",
                    T(
                        "Gender and age considerations",
                        "اعتبارات النوع الاجتماعي والعمر",
                        "Pertimbangan gender dan usia",
                    ),
                    category="psychosocial",
                    appearance="multiline",
                ),
                q(
                    "text",
                    "assessor_summary",
                    T(
                        "Overall assessment and recommendations for the reintegration plan",
                        "التقييم العام والتوصيات لخطة إعادة الإدماج",
                        "Penilaian keseluruhan dan rekomendasi untuk rencana reintegrasi",
                    ),
                    category="psychosocial",
                    required=True,
                    appearance="multiline",
                ),
            ],
        ),
        *child_views_block(category="psychosocial"),
    ]


def _bia_start() -> Rows:
    return [
        case_number(),
        dated("bia_date", T("Date of assessment", "تاريخ التقييم", "Tanggal asesmen")),
        q(
            "select_one bia_reason",
            "bia_reason",
            T(
                "Decision this assessment is for",
                "القرار الذي يُجرى هذا التقييم من أجله",
                "Keputusan yang menjadi tujuan asesmen ini",
            ),
            category="case_management",
            required=True,
        ),
        other_text("bia_reason_other", "bia_reason", category="case_management"),
    ]


def _bia_end() -> Rows:
    return [
        *group(
            "recommendation_group",
            T("Recommendation", "التوصية", "Rekomendasi"),
            [
                q(
                    "text",
                    "recommendation",
                    T(
                        "Recommended option",
                        "الخيار الموصى به",
                        "Pilihan yang direkomendasikan",
                    ),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "text",
                    "recommendation_reasons",
                    T(
                        "Why this option is in the child's best interests",
                        "لماذا يحقق هذا الخيار مصلحة الطفل الفضلى",
                        "Mengapa pilihan ini demi kepentingan terbaik anak",
                    ),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_one yes_no",
                    "refer_to_bid",
                    T(
                        "Does the decision need a best-interests determination by a panel?",
                        "هل يتطلب القرار تحديد المصلحة الفضلى من قِبل لجنة؟",
                        "Apakah keputusan ini memerlukan penentuan kepentingan terbaik oleh panel?",
                    ),
                    category="case_management",
                    required=True,
                    hint=T(
                        "Required for durable solutions, separation from parents against their "
                        "will, and repatriation of unaccompanied or separated children.",
                        "مطلوب للحلول الدائمة، وللفصل عن الوالدين رغمًا عنهما، ولإعادة الأطفال "
                        "غير المصحوبين أو المنفصلين عن ذويهم إلى الوطن.",
                        "Wajib untuk solusi jangka panjang, pemisahan dari orang tua di luar "
                        "kehendak mereka, dan repatriasi anak tanpa pendamping atau terpisah.",
                    ),
                ),
                q(
                    "select_one bid_subject",
                    "bid_subject",
                    T(
                        "What the panel is asked to decide",
                        "ما المطلوب من اللجنة أن تقرره",
                        "Hal yang diminta untuk diputuskan oleh panel",
                    ),
                    category="case_management",
                    required=True,
                    relevant="${refer_to_bid} = 'yes'",
                ),
                other_text("bid_subject_other", "bid_subject", category="case_management"),
            ],
        ),
        *child_views_block(),
        q(
            "text",
            "caregiver_views",
            T(
                "Views of parents or caregivers",
                "آراء الوالدين أو مقدّمي الرعاية",
                "Pendapat orang tua atau pengasuh",
            ),
            category="family",
            appearance="multiline",
        ),
    ]


def bia_short() -> Rows:
    return [
        *_bia_start(),
        *group(
            "situation",
            T("The child's situation", "وضع الطفل", "Situasi anak"),
            [
                q(
                    "text",
                    "safety_risks",
                    T(
                        "Risks to the child's safety",
                        "المخاطر على سلامة الطفل",
                        "Risiko terhadap keselamatan anak",
                    ),
                    category="protection_concerns",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "text",
                    "family_situation",
                    T("Family situation", "الوضع الأسري", "Situasi keluarga"),
                    category="family",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_one caregiver_capacity",
                    "caregiver_capacity",
                    T(
                        "Capacity of the current or proposed caregiver",
                        "قدرة مقدّم الرعاية الحالي أو المقترح",
                        "Kemampuan pengasuh saat ini atau yang diusulkan",
                    ),
                    category="family",
                    required=True,
                ),
                q(
                    "text",
                    "health_summary",
                    T("Health", "الصحة", "Kesehatan"),
                    category="health",
                ),
                q(
                    "text",
                    "education_summary",
                    T("Education", "التعليم", "Pendidikan"),
                    category="education",
                ),
                q(
                    "text",
                    "options_considered",
                    T(
                        "Options considered",
                        "الخيارات التي تم النظر فيها",
                        "Pilihan yang dipertimbangkan",
                    ),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
            ],
        ),
        *_bia_end(),
    ]


def bia_comprehensive() -> Rows:
    return [
        *_bia_start(),
        *group(
            "identity_documents",
            T("Identity and documents", "الهوية والوثائق", "Identitas dan dokumen"),
            [
                q(
                    "select_one yes_no_unknown",
                    "birth_registered",
                    T(
                        "Is the child's birth registered?",
                        "هل ولادة الطفل مسجلة؟",
                        "Apakah kelahiran anak sudah dicatatkan?",
                    ),
                    category="identity",
                    required=True,
                ),
                q(
                    "text",
                    "documents_held",
                    T(
                        "Identity documents the child has or needs",
                        "وثائق الهوية التي يملكها الطفل أو يحتاجها",
                        "Dokumen identitas yang dimiliki atau dibutuhkan anak",
                    ),
                    category="identity",
                ),
            ],
        ),
        *group(
            "family",
            T("Family and relationships", "الأسرة والعلاقات", "Keluarga dan hubungan"),
            [
                q(
                    "text",
                    "family_composition",
                    T(
                        "Family members and where they are",
                        "أفراد الأسرة وأماكن وجودهم",
                        "Anggota keluarga dan keberadaan mereka",
                    ),
                    category="family",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_one family_contact",
                    "family_contact",
                    T(
                        "Contact with family",
                        "التواصل مع الأسرة",
                        "Kontak dengan keluarga",
                    ),
                    category="family",
                    required=True,
                ),
                q(
                    "select_one yes_no_unknown",
                    "family_members_associated",
                    T(
                        "Are family members associated with the same group?",
                        "هل يرتبط أفراد من الأسرة بالجماعة نفسها؟",
                        "Apakah ada anggota keluarga yang terkait dengan kelompok yang sama?",
                    ),
                    category="association_history",
                    required=True,
                ),
                q(
                    "select_one caregiver_capacity",
                    "caregiver_capacity",
                    T(
                        "Capacity of the current or proposed caregiver",
                        "قدرة مقدّم الرعاية الحالي أو المقترح",
                        "Kemampuan pengasuh saat ini atau yang diusulkan",
                    ),
                    category="family",
                    required=True,
                ),
                q(
                    "text",
                    "family_notes",
                    T(
                        "Relationships, strengths and risks in the family",
                        "العلاقات ونقاط القوة والمخاطر داخل الأسرة",
                        "Hubungan, kekuatan, dan risiko dalam keluarga",
                    ),
                    category="family",
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "health",
            T("Health", "الصحة", "Kesehatan"),
            [
                q(
                    "text",
                    "physical_health",
                    T("Physical health", "الصحة الجسدية", "Kesehatan fisik"),
                    category="health",
                    appearance="multiline",
                ),
                q(
                    "text",
                    "mental_health",
                    T(
                        "Mental health and emotional well-being",
                        "الصحة النفسية والرفاه العاطفي",
                        "Kesehatan jiwa dan kesejahteraan emosional",
                    ),
                    category="psychosocial",
                    appearance="multiline",
                ),
                q(
                    "select_one yes_no_unknown",
                    "disability",
                    T(
                        "Does the child have a disability?",
                        "هل لدى الطفل إعاقة؟",
                        "Apakah anak memiliki disabilitas?",
                    ),
                    category="health",
                ),
            ],
        ),
        *group(
            "education",
            T("Education", "التعليم", "Pendidikan"),
            [
                q(
                    "select_one school_attendance",
                    "school_attendance",
                    T("School attendance", "الحضور المدرسي", "Kehadiran di sekolah"),
                    category="education",
                    required=True,
                ),
                q(
                    "text",
                    "education_notes",
                    T(
                        "Learning, skills and plans",
                        "التعلّم والمهارات والخطط",
                        "Pembelajaran, keterampilan, dan rencana",
                    ),
                    category="education",
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "association",
            T(
                "Experience of association",
                "تجربة الارتباط بالجماعة",
                "Pengalaman keterkaitan dengan kelompok",
            ),
            [
                q(
                    "text",
                    "association_experience",
                    T(
                        "What is known about how the child was recruited and exploited, and "
                        "what the child experienced",
                        "ما هو معروف عن كيفية تجنيد الطفل واستغلاله، وما عاشه الطفل",
                        "Apa yang diketahui tentang bagaimana anak direkrut dan dieksploitasi, "
                        "serta apa yang dialami anak",
                    ),
                    category="association_history",
                    appearance="multiline",
                    hint=T(
                        "The child is first of all a victim. Record only what this decision "
                        "needs and do not press the child for details.",
                        "الطفل ضحية قبل كل شيء. سجّل فقط ما يحتاجه هذا القرار ولا تضغط على "
                        "الطفل للحصول على تفاصيل.",
                        "Anak pertama-tama adalah korban. Catat hanya yang diperlukan untuk "
                        "keputusan ini dan jangan mendesak anak untuk memberi rincian.",
                    ),
                ),
            ],
        ),
        *group(
            "justice",
            T("Justice", "العدالة", "Peradilan"),
            [
                q(
                    "select_multiple justice_involvement",
                    "justice_involvement",
                    T(
                        "Involvement with the justice system",
                        "الصلة بنظام العدالة",
                        "Keterlibatan dengan sistem peradilan",
                    ),
                    category="justice",
                    required=True,
                    constraint=none_is_exclusive()[0],
                    constraint_message=none_is_exclusive()[1],
                ),
                q(
                    "select_one yes_no",
                    "legal_representation",
                    T(
                        "Does the child have legal assistance?",
                        "هل يحصل الطفل على مساعدة قانونية؟",
                        "Apakah anak mendapat bantuan hukum?",
                    ),
                    category="justice",
                    required=True,
                    relevant="not(selected(${justice_involvement}, 'none'))",
                ),
                q(
                    "text",
                    "justice_notes",
                    T(
                        "Justice situation and upcoming dates",
                        "الوضع القضائي والمواعيد القادمة",
                        "Situasi peradilan dan jadwal mendatang",
                    ),
                    category="justice",
                    relevant="not(selected(${justice_involvement}, 'none'))",
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "safety",
            T("Safety and community", "السلامة والمجتمع", "Keselamatan dan masyarakat"),
            [
                q(
                    "text",
                    "safety_risks",
                    T(
                        "Risks to the child's safety",
                        "المخاطر على سلامة الطفل",
                        "Risiko terhadap keselamatan anak",
                    ),
                    category="protection_concerns",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_one community_acceptance",
                    "community_acceptance",
                    T(
                        "Attitude of the community of return",
                        "موقف مجتمع العودة",
                        "Sikap masyarakat tempat anak kembali",
                    ),
                    category="protection_concerns",
                    required=True,
                ),
            ],
        ),
        *repeat(
            "option",
            T("Option considered", "خيار تم النظر فيه", "Pilihan yang dipertimbangkan"),
            [
                q(
                    "text",
                    "option_description",
                    T("Option", "الخيار", "Pilihan"),
                    category="case_management",
                    required=True,
                ),
                q(
                    "text",
                    "option_benefits",
                    T(
                        "Benefits for the child",
                        "الفوائد بالنسبة للطفل",
                        "Manfaat bagi anak",
                    ),
                    category="case_management",
                    required=True,
                ),
                q(
                    "text",
                    "option_risks",
                    T("Risks for the child", "المخاطر بالنسبة للطفل", "Risiko bagi anak"),
                    category="case_management",
                    required=True,
                ),
            ],
        ),
        *_bia_end(),
        q(
            "text",
            "others_consulted",
            T(
                "Other people and agencies consulted",
                "الأشخاص والجهات الأخرى التي تمت استشارتها",
                "Orang dan lembaga lain yang dimintai pendapat",
            ),
            category="case_management",
            appearance="multiline",
        ),
    ]


def bid_panel() -> Rows:
    return [
        case_number(),
        dated("panel_date", T("Date of the panel", "تاريخ انعقاد اللجنة", "Tanggal rapat panel")),
        q(
            "select_one bid_subject",
            "bid_subject",
            T(
                "What the panel decided on",
                "موضوع قرار اللجنة",
                "Hal yang diputuskan panel",
            ),
            category="case_management",
            required=True,
        ),
        other_text("bid_subject_other", "bid_subject", category="case_management"),
        q(
            "text",
            "bia_reference",
            T(
                "Best-interests assessment the panel reviewed (date or reference)",
                "تقييم المصلحة الفضلى الذي راجعته اللجنة (التاريخ أو المرجع)",
                "Asesmen kepentingan terbaik yang ditinjau panel (tanggal atau nomor referensi)",
            ),
            category="case_management",
            required=True,
        ),
        *repeat(
            "panel_member",
            T("Panel member", "عضو اللجنة", "Anggota panel"),
            [
                q(
                    "text",
                    "member_name",
                    T("Name", "الاسم", "Nama"),
                    category="case_management",
                    required=True,
                ),
                q(
                    "select_one panel_role",
                    "member_role",
                    T("Role", "الدور", "Peran"),
                    category="case_management",
                    required=True,
                ),
                other_text("member_role_other", "member_role", category="case_management"),
                q(
                    "text",
                    "member_agency",
                    T("Agency", "الجهة", "Lembaga"),
                    category="case_management",
                    required=True,
                ),
            ],
        ),
        q(
            "select_one yes_no",
            "conflicts_declared",
            T(
                "Did every member declare any conflict of interest?",
                "هل أفصح كل عضو عن أي تضارب في المصالح؟",
                "Apakah setiap anggota telah menyatakan ada tidaknya konflik kepentingan?",
            ),
            category="case_management",
            required=True,
        ),
        q(
            "text",
            "options_considered",
            T(
                "Options considered",
                "الخيارات التي تم النظر فيها",
                "Pilihan yang dipertimbangkan",
            ),
            category="case_management",
            required=True,
            appearance="multiline",
        ),
        *child_views_block(),
        *group(
            "decision_group",
            T("Decision", "القرار", "Keputusan"),
            [
                q(
                    "text",
                    "decision",
                    T("Decision of the panel", "قرار اللجنة", "Keputusan panel"),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "text",
                    "decision_reasons",
                    T(
                        "Reasons for the decision",
                        "أسباب القرار",
                        "Alasan keputusan",
                    ),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
                q(
                    "select_one panel_decision_mode",
                    "decision_mode",
                    T(
                        "How the decision was reached",
                        "كيف اتُّخذ القرار",
                        "Cara keputusan diambil",
                    ),
                    category="case_management",
                    required=True,
                ),
                q(
                    "text",
                    "dissent",
                    T(
                        "Dissenting views and who held them",
                        "الآراء المخالفة وأصحابها",
                        "Pendapat yang berbeda dan siapa yang menyampaikannya",
                    ),
                    category="case_management",
                    required=True,
                    relevant="${decision_mode} = 'majority'",
                ),
                q(
                    "date",
                    "review_date",
                    T("Review date", "تاريخ المراجعة", "Tanggal peninjauan"),
                    category="case_management",
                    required=True,
                    constraint=". > ${panel_date}",
                    constraint_message=T(
                        "The review date must be after the panel date.",
                        "يجب أن يكون تاريخ المراجعة بعد تاريخ انعقاد اللجنة.",
                        "Tanggal peninjauan harus sesudah tanggal rapat panel.",
                    ),
                ),
                q(
                    "select_one informed",
                    "child_informed",
                    T(
                        "Has the decision been explained to the child in a way the child "
                        "understands?",
                        "هل شُرح القرار للطفل بطريقة يفهمها؟",
                        "Apakah keputusan sudah dijelaskan kepada anak dengan cara yang "
                        "dipahami anak?",
                    ),
                    category="case_management",
                    required=True,
                    hint=T(
                        "Include how the child can ask for the decision to be reviewed.",
                        "بما في ذلك كيف يمكن للطفل طلب مراجعة القرار.",
                        "Termasuk cara anak dapat meminta peninjauan keputusan.",
                    ),
                ),
            ],
        ),
    ]


def reintegration_plan() -> Rows:
    return [
        case_number(),
        dated("plan_date", T("Date of the plan", "تاريخ الخطة", "Tanggal rencana")),
        q(
            "date",
            "plan_review_date",
            T("Next review of the plan", "المراجعة التالية للخطة", "Peninjauan rencana berikutnya"),
            category="case_management",
            required=True,
            hint=T(
                "Plans are reviewed at least every 3 months.",
                "تُراجع الخطط كل 3 أشهر على الأقل.",
                "Rencana ditinjau sekurang-kurangnya setiap 3 bulan.",
            ),
            constraint=". > ${plan_date}",
            constraint_message=T(
                "The review date must be after the date of the plan.",
                "يجب أن يكون تاريخ المراجعة بعد تاريخ الخطة.",
                "Tanggal peninjauan harus sesudah tanggal rencana.",
            ),
        ),
        q(
            "integer",
            "follow_up_months",
            T(
                "Planned length of follow-up, in months",
                "المدة المخطط لها للمتابعة، بالأشهر",
                "Lama tindak lanjut yang direncanakan, dalam bulan",
            ),
            category="case_management",
            required=True,
            default="24",
            hint=T(
                "Reintegration support is long: plan for 2 to 3 years.",
                "دعم إعادة الإدماج طويل الأمد: خطّط لمدة تتراوح بين سنتين وثلاث سنوات.",
                "Dukungan reintegrasi berlangsung lama: rencanakan 2 sampai 3 tahun.",
            ),
            constraint=". >= 1 and . <= 72",
            constraint_message=T(
                "Enter a number of months from 1 to 72.",
                "أدخل عدد أشهر من 1 إلى 72.",
                "Masukkan jumlah bulan dari 1 sampai 72.",
            ),
        ),
        q(
            "text",
            "overall_objective",
            T(
                "Overall objective, agreed with the child",
                "الهدف العام، المتفق عليه مع الطفل",
                "Tujuan umum, yang disepakati bersama anak",
            ),
            category="case_management",
            required=True,
            appearance="multiline",
        ),
        *repeat(
            "goal",
            T("Goal", "هدف", "Tujuan"),
            [
                q(
                    "select_one goal_domain",
                    "goal_domain",
                    T("Domain", "المجال", "Bidang"),
                    category="case_management",
                    required=True,
                ),
                q(
                    "text",
                    "goal_text",
                    T("Goal", "الهدف", "Tujuan"),
                    category="case_management",
                    required=True,
                ),
                *repeat(
                    "action",
                    T("Action", "إجراء", "Tindakan"),
                    [
                        q(
                            "text",
                            "action_text",
                            T("Action", "الإجراء", "Tindakan"),
                            category="case_management",
                            required=True,
                        ),
                        q(
                            "text",
                            "responsible_agency",
                            T("Responsible agency", "الجهة المسؤولة", "Lembaga penanggung jawab"),
                            category="case_management",
                            required=True,
                        ),
                        q(
                            "date",
                            "due_date",
                            T("Due date", "الموعد النهائي", "Tenggat waktu"),
                            category="case_management",
                            required=True,
                            constraint=". >= today()",
                            constraint_message=TODAY_OR_LATER,
                        ),
                        q(
                            "select_one action_status",
                            "action_status",
                            T("Status", "الحالة", "Status"),
                            category="case_management",
                            required=True,
                            default="not_started",
                        ),
                    ],
                ),
                q(
                    "select_one goal_status",
                    "goal_status",
                    T("Status of the goal", "حالة الهدف", "Status tujuan"),
                    category="case_management",
                    required=True,
                    default="not_started",
                ),
            ],
        ),
        *group(
            "agreement_group",
            T("Agreement", "الموافقة", "Kesepakatan"),
            [
                q(
                    "select_one agreement",
                    "child_agreement",
                    T(
                        "Does the child agree with the plan?",
                        "هل يوافق الطفل على الخطة؟",
                        "Apakah anak setuju dengan rencana ini?",
                    ),
                    category="case_management",
                    required=True,
                ),
                q(
                    "text",
                    "child_disagreement",
                    T(
                        "What the child does not agree with, and what was done about it",
                        "ما لا يوافق عليه الطفل، وما الذي تم بشأنه",
                        "Hal yang tidak disetujui anak, dan apa yang dilakukan terkait hal itu",
                    ),
                    category="case_management",
                    required=True,
                    relevant="${child_agreement} != 'agrees'",
                    appearance="multiline",
                ),
                q(
                    "select_one agreement",
                    "caregiver_agreement",
                    T(
                        "Does the caregiver agree with the plan?",
                        "هل يوافق مقدّم الرعاية على الخطة؟",
                        "Apakah pengasuh setuju dengan rencana ini?",
                    ),
                    category="family",
                ),
                q(
                    "text",
                    "caregiver_views",
                    T(
                        "Views of parents or caregivers",
                        "آراء الوالدين أو مقدّمي الرعاية",
                        "Pendapat orang tua atau pengasuh",
                    ),
                    category="family",
                    appearance="multiline",
                ),
            ],
        ),
        *child_views_block(),
    ]


def follow_up_visit() -> Rows:
    return [
        case_number(),
        dated("visit_date", T("Date of visit", "تاريخ الزيارة", "Tanggal kunjungan")),
        q(
            "select_one visit_type",
            "visit_type",
            T("Type of visit", "نوع الزيارة", "Jenis kunjungan"),
            category="case_management",
            required=True,
        ),
        other_text("visit_type_other", "visit_type", category="case_management"),
        q(
            "text",
            "visit_place",
            T("Place of visit", "مكان الزيارة", "Tempat kunjungan"),
            category="contact_location",
        ),
        q(
            "select_one yes_no",
            "child_seen",
            T("Was the child seen?", "هل تمت رؤية الطفل؟", "Apakah anak ditemui?"),
            category="case_management",
            required=True,
        ),
        q(
            "text",
            "child_not_seen_reason",
            T(
                "Why was the child not seen?",
                "لماذا لم تتم رؤية الطفل؟",
                "Mengapa anak tidak ditemui?",
            ),
            category="case_management",
            required=True,
            relevant="${child_seen} = 'no'",
        ),
        *group(
            "progress",
            T(
                "Progress since the last visit",
                "التقدم منذ الزيارة السابقة",
                "Perkembangan sejak kunjungan terakhir",
            ),
            [
                q(
                    "select_one change",
                    "wellbeing_change",
                    T(
                        "The child's well-being",
                        "رفاه الطفل",
                        "Kesejahteraan anak",
                    ),
                    category="psychosocial",
                    required=True,
                ),
                q(
                    "select_one school_attendance",
                    "school_attendance",
                    T("School attendance", "الحضور المدرسي", "Kehadiran di sekolah"),
                    category="education",
                    required=True,
                ),
                q(
                    "text",
                    "health_update",
                    T("Health", "الصحة", "Kesehatan"),
                    category="health",
                ),
                q(
                    "select_one change",
                    "family_relationships",
                    T(
                        "Relationships in the family",
                        "العلاقات داخل الأسرة",
                        "Hubungan dalam keluarga",
                    ),
                    category="family",
                    required=True,
                ),
                q(
                    "select_multiple service",
                    "services_received",
                    T(
                        "Services received since the last visit",
                        "الخدمات التي تلقاها منذ الزيارة السابقة",
                        "Layanan yang diterima sejak kunjungan terakhir",
                    ),
                    category="case_management",
                    required=True,
                    constraint=none_is_exclusive()[0],
                    constraint_message=none_is_exclusive()[1],
                ),
                q(
                    "text",
                    "plan_progress",
                    T(
                        "Progress on the reintegration plan",
                        "التقدم في تنفيذ خطة إعادة الإدماج",
                        "Kemajuan rencana reintegrasi",
                    ),
                    category="case_management",
                    required=True,
                    appearance="multiline",
                ),
            ],
        ),
        *group(
            "safety",
            T("Safety", "السلامة", "Keselamatan"),
            [
                q(
                    "select_one yes_no",
                    "new_safety_concerns",
                    T(
                        "Any new safety concerns?",
                        "هل توجد مخاوف جديدة تتعلق بالسلامة؟",
                        "Adakah masalah keselamatan yang baru?",
                    ),
                    category="protection_concerns",
                    required=True,
                ),
                q(
                    "text",
                    "safety_details",
                    T(
                        "Describe the safety concerns",
                        "صِف المخاوف المتعلقة بالسلامة",
                        "Jelaskan masalah keselamatan",
                    ),
                    category="protection_concerns",
                    required=True,
                    relevant="${new_safety_concerns} = 'yes'",
                    appearance="multiline",
                ),
                q(
                    "select_one risk_level",
                    "risk_level",
                    T("Risk level now", "مستوى الخطر الآن", "Tingkat risiko saat ini"),
                    category="case_management",
                    required=True,
                    hint=RISK_LEVEL_HINT,
                ),
            ],
        ),
        *child_views_block(),
        q(
            "select_one yes_no",
            "plan_review_needed",
            T(
                "Does the reintegration plan need to be reviewed?",
                "هل تحتاج خطة إعادة الإدماج إلى مراجعة؟",
                "Apakah rencana reintegrasi perlu ditinjau?",
            ),
            category="case_management",
            required=True,
        ),
        q(
            "date",
            "next_visit_date",
            T("Next visit", "الزيارة التالية", "Kunjungan berikutnya"),
            category="case_management",
            constraint=". > ${visit_date}",
            constraint_message=T(
                "The next visit must be after this visit.",
                "يجب أن تكون الزيارة التالية بعد هذه الزيارة.",
                "Kunjungan berikutnya harus sesudah kunjungan ini.",
            ),
        ),
    ]


def case_closure() -> Rows:
    return [
        case_number(),
        dated(
            "closure_date", T("Date of closure", "تاريخ إغلاق الحالة", "Tanggal penutupan kasus")
        ),
        q(
            "select_one closure_reason",
            "closure_reason",
            T("Reason for closure", "سبب الإغلاق", "Alasan penutupan"),
            category="case_management",
            required=True,
        ),
        other_text("closure_reason_other", "closure_reason", category="case_management"),
        q(
            "text",
            "receiving_agency",
            T(
                "Agency or country receiving the case",
                "الجهة أو البلد الذي يستلم الحالة",
                "Lembaga atau negara yang menerima kasus",
            ),
            category="case_management",
            required=True,
            relevant="${closure_reason} = 'transferred' or ${closure_reason} = 'reached_adulthood'",
        ),
        q(
            "select_one risk_level",
            "final_risk_level",
            T(
                "Risk level at closure",
                "مستوى الخطر عند الإغلاق",
                "Tingkat risiko saat penutupan",
            ),
            category="case_management",
            required=True,
            hint=RISK_LEVEL_HINT,
            constraint="not(${closure_reason} = 'goals_achieved' and . = 'high')",
            constraint_message=T(
                "A case at high risk cannot be closed as 'goals achieved'.",
                "لا يمكن إغلاق حالة ذات خطر مرتفع على أساس «تحقق الأهداف».",
                "Kasus dengan risiko tinggi tidak dapat ditutup dengan alasan 'tujuan tercapai'.",
            ),
        ),
        q(
            "text",
            "outcome_summary",
            T(
                "What was achieved, domain by domain",
                "ما تحقق، مجالًا بمجال",
                "Apa yang telah dicapai, per bidang",
            ),
            category="case_management",
            required=True,
            appearance="multiline",
        ),
        q(
            "text",
            "support_in_place",
            T(
                "Support and contacts that remain in place for the child",
                "الدعم وجهات الاتصال التي تبقى متاحة للطفل",
                "Dukungan dan kontak yang tetap tersedia bagi anak",
            ),
            category="case_management",
            appearance="multiline",
        ),
        q(
            "select_one informed",
            "child_informed",
            T(
                "Has the closure been explained to the child?",
                "هل شُرح إغلاق الحالة للطفل؟",
                "Apakah penutupan kasus sudah dijelaskan kepada anak?",
            ),
            category="case_management",
            required=True,
            relevant="${closure_reason} != 'died'",
        ),
        *child_views_block(relevant="${closure_reason} != 'died'"),
        q(
            "text",
            "caregiver_views",
            T(
                "Views of parents or caregivers",
                "آراء الوالدين أو مقدّمي الرعاية",
                "Pendapat orang tua atau pengasuh",
            ),
            category="family",
            appearance="multiline",
        ),
        note(
            "approval_note",
            T(
                "The case is closed only when a supervisor approves the closure in Bridgeway.",
                "لا تُغلق الحالة إلا بعد أن يوافق المشرف على الإغلاق في بريدجواي.",
                "Kasus baru ditutup setelah supervisor menyetujui penutupan di Bridgeway.",
            ),
        ),
        q(
            "text",
            "supervisor_name",
            T(
                "Supervisor asked to approve",
                "المشرف المطلوب منه الموافقة",
                "Supervisor yang diminta menyetujui",
            ),
            category="case_management",
            required=True,
        ),
    ]


FORM_ROWS: dict[str, tuple[Rows, str]] = {
    "bw_initial_assessment": (
        initial_assessment(),
        "concat(${case_number}, ' ', ${assessment_date})",
    ),
    "bw_psychosocial_assessment": (
        psychosocial_assessment(),
        "concat(${case_number}, ' ', ${assessment_date})",
    ),
    "bw_bia_short": (bia_short(), "concat(${case_number}, ' ', ${bia_date})"),
    "bw_bia_comprehensive": (bia_comprehensive(), "concat(${case_number}, ' ', ${bia_date})"),
    "bw_bid_panel": (bid_panel(), "concat(${case_number}, ' ', ${panel_date})"),
    "bw_reintegration_plan": (reintegration_plan(), "concat(${case_number}, ' ', ${plan_date})"),
    "bw_follow_up_visit": (follow_up_visit(), "concat(${case_number}, ' ', ${visit_date})"),
    "bw_case_closure": (case_closure(), "concat(${case_number}, ' ', ${closure_date})"),
}


# --------------------------------------------------------------------------
# Checks and writing

_FUNCTION_CALL = re.compile(r"([A-Za-z_][\w.-]*)\s*\(")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class FormDefinitionError(ValueError):
    """A form definition breaks a rule the renderer or the policy relies on."""


def list_name_of(row: Row) -> str | None:
    """The choice list of a select question, or None."""
    parts = row.type.split()
    if parts and parts[0] in {"select_one", "select_multiple"}:
        return parts[1]
    return None


def check_rows(form_id: str, rows: Sequence[Row]) -> None:
    """Fail fast on mistakes pyxform would accept but Bridgeway must not."""
    seen: set[str] = set()
    depth = 0
    for row in rows:
        where = f"{form_id}: {row.name or row.type}"
        if row.type.startswith("begin_"):
            depth += 1
        elif row.type.startswith("end_"):
            depth -= 1
            continue
        if not _NAME.match(row.name):
            raise FormDefinitionError(f"{where}: invalid name")
        if row.name in seen:
            raise FormDefinitionError(f"{where}: duplicate name")
        seen.add(row.name)
        holds_data = not (row.type.startswith("begin_") or row.type == "note")
        if holds_data and row.category not in DATA_CATEGORIES:
            raise FormDefinitionError(f"{where}: category {row.category!r} not allowed")
        if not holds_data and row.category:
            raise FormDefinitionError(f"{where}: notes and groups carry no category")
        list_name = list_name_of(row)
        if list_name is not None and list_name not in CHOICES:
            raise FormDefinitionError(f"{where}: unknown choice list {list_name}")
        for expression in (row.relevant, row.constraint, row.calculation):
            for function in _FUNCTION_CALL.findall(expression):
                if function not in ALLOWED_FUNCTIONS:
                    raise FormDefinitionError(f"{where}: function {function}() not supported")
        if row.constraint and row.constraint_message is None:
            raise FormDefinitionError(f"{where}: constraint without a message")
    if depth != 0:
        raise FormDefinitionError(f"{form_id}: unbalanced groups or repeats")
    if rows[0].name != "case_number":
        raise FormDefinitionError(f"{form_id}: case_number must come first")


def definitions() -> Iterator[tuple[BuiltinForm, FormDefinition]]:
    """Every registered built-in form with its checked definition."""
    if set(FORM_ROWS) != {form.form_id for form in BUILTIN_FORMS}:
        raise FormDefinitionError("FORM_ROWS and the registry list different forms")
    for form in BUILTIN_FORMS:
        rows, instance_name = FORM_ROWS[form.form_id]
        check_rows(form.form_id, rows)
        yield form, FormDefinition(form.form_id, tuple(rows), instance_name)


def _survey_cells(row: Row) -> list[str]:
    def texts(text: T | None) -> list[str]:
        return [text.get(code) if text else "" for code, _ in LANGUAGES]

    return [
        row.type,
        row.name,
        *texts(row.label),
        *texts(row.hint),
        "yes" if row.required else "",
        row.relevant,
        row.constraint,
        *texts(row.constraint_message),
        row.calculation,
        row.default,
        row.appearance,
        row.category,
    ]


def used_lists(rows: Iterable[Row]) -> list[str]:
    """Choice lists used by the rows, in first-use order."""
    names: list[str] = []
    for row in rows:
        list_name = list_name_of(row)
        if list_name is not None and list_name not in names:
            names.append(list_name)
    return names


def write_workbook(*, form: BuiltinForm, definition: FormDefinition, path: Path) -> None:
    """Write one XLSForm workbook (survey, choices, settings)."""
    workbook = Workbook()
    survey = workbook.active
    assert survey is not None  # a new Workbook always has an active sheet
    survey.title = "survey"
    survey.append(list(SURVEY_COLUMNS))
    for row in definition.rows:
        survey.append(_survey_cells(row))

    choices = workbook.create_sheet("choices")
    choices.append(list(CHOICES_COLUMNS))
    for list_name in used_lists(definition.rows):
        for name, label in CHOICES[list_name]:
            choices.append([list_name, name, *(label.get(code) for code, _ in LANGUAGES)])

    settings = workbook.create_sheet("settings")
    settings.append(list(SETTINGS_COLUMNS))
    settings.append(
        [
            form.title,
            form.form_id,
            VERSION,
            DEFAULT_LANGUAGE,
            definition.instance_name,
            f'{CATEGORY_NAMESPACE_PREFIX}="{CATEGORY_NAMESPACE_URI}"',
        ]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def build_all(*, out_dir: Path) -> list[Path]:
    """Write every built-in workbook into ``out_dir``; return the paths written."""
    written = []
    for form, definition in definitions():
        path = out_dir / form.path.name
        write_workbook(form=form, definition=definition, path=path)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=BUILTIN_DIR, help="output folder")
    args = parser.parse_args(argv)
    for path in build_all(out_dir=args.out):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
