"""The rule table: ids, metadata completeness, version and hash, knowledge base, HTI-1."""

from __future__ import annotations

import re
from pathlib import Path

from app.rules import (
    RULES,
    RULESET_HASH,
    RULESET_VERSION,
    get_rule,
    knowledge_base_markdown,
    knowledge_sources,
)
from app.rules.define import RULE_ID
from app.rules.facts import KNOWN_KEYS
from app.rules.knowledge import expanded_inputs
from app.rules.sources import SOURCES

#: The content hash each released version had. Changing any rule metadata changes the hash:
#: bump RULESET_VERSION (and the rule's revision), review the hazard log, record it here.
RELEASED = {
    "1.0.0": "sha256:f48ac9718ae217c14f0d3278fd381b09f783224880b0653b6118c040e51e51b1",
    "1.1.0": "sha256:b2b06a089564e71c2f0e3467d65e98f835f3e8d4092768b3df31089e6397fa37",
    "1.1.1": "sha256:2d6c3381c7fef77763625873748ea63d42d77a0feae40afa98d1ae0f9d7b365f",
    "1.2.0": "sha256:cf779ec8e921095f51274053d056a3990f912178797387c239fcd2567050d4e3",
    "1.3.0": "sha256:56f16c031d0b4678872dcb8c76319910cd314e9e2a1631de2848f00e1586b6da",
    "1.4.0": "sha256:492249bdb5a4c71789dd442262a6dc3591bfc7774b14201f90d902de6a8f8de6",
    "1.5.0": "sha256:0472062f0a53eaa1325b4999944b5d2e19a25441a8ae5f67697ee3181c1e1ab0",
    "1.6.0": "sha256:4b0c6de10205fcdcd72c399d1d5105eb8268fd46ac8ffafe7fff670a5fdd74fa",
    "1.7.0": "sha256:c51f6e56b8d8ab408fa53f830ff8cb753bd1e165d8b2cf291e1fa164bf1b1f7b",
    "1.8.0": "sha256:6045c40a5b51aeba12244e4915bcb1295d58f9de7ad92dfb6c5d799172b2eba7",
    "1.9.0": "sha256:1772756c787d84420e08ab6b1451156dce0c83ba0a20796d1e30480d2d92c585",
    "1.10.0": "sha256:c61b3bb22cc818563da7f509193e43a1cdfa7e4860f2d207a283e7d79c79a5bc",
    "1.11.0": "sha256:213629407ba90eba517c2c6de54d4015da0c760f8ae4f754eff9c5880af78888",
    "1.12.0": "sha256:7f92b499bf65605fe94af8c9d9bdfcb89389e563a5347d2d6b2982eac156c96d",
    "1.13.0": "sha256:9a0483b748a2eec3f4a97d11f313e70efe83c5c649c4be5ed0975dc0ef6e830c",
    "1.14.0": "sha256:9b732e834402e7fdaa34bf7d05529f6df8ed077a8fe95a396e21e523fbe09459",
    "1.15.0": "sha256:651864a91b9ad1e939316eae1bc9a84d5a434d618718ed657e7c6edd92cbc1c6",
    "1.16.0": "sha256:6d989657db28501828a5ac7eb5ba58bdbda003b324c7767f795c3e1fa494216e",
    "1.17.0": "sha256:2bbbcc47f0b375c8091e18b7367617ab68f2f9b604598beac2a7d0f3ce2a41bc",
    "1.18.0": "sha256:3b18ddbf39566cac858b7488a2b7c12d9cf4c693f2ce39137cd6a6034849904b",
    "1.19.0": "sha256:c49eacdf3e2013c592151825226982588b58e3079b4f213b8c386f77fffde1b5",
    "1.20.0": "sha256:eaa17327c1d17cbd2b3ba8e4cfc7011fa2dcccc8c4c23bafebdefb72ca30952a",
    "1.21.0": "sha256:2bdc92854b2a6cc1a5c0f729c324bd30c3b45d3d5e4db67c5664937a10eded0a",
    "1.22.0": "sha256:a399abf18239d329815bf1e2e45aa146771578b2be58153b860c5c31c9935b93",
    "1.23.0": "sha256:115cde2d441af3798014adf1212391141ea4fcf91f5fa5ef8864b152dde3f73d",
    "1.24.0": "sha256:06a4ffb173e5e8f6f9b5049e44376de09eed5364d9108f3622e65c6b079428d2",
    "1.25.0": "sha256:35656a517b8d6b218e8bef495ca1c40f5a8ffa625fd199b10c1f507c331a1d51",
    "1.26.0": "sha256:1e845caa95e773f0a275ffd06a13c4f1092d2fac807eb72d0d1ba8a006bb40b6",
    "1.27.0": "sha256:217624c74e654c1607d53cf66f468bfadcfa8c5234ad03cf1268dc4cb072b616",
    "1.28.0": "sha256:dd640e098bc0dc99e28e6fa73da4ea038e722ee4147b4553e759f0aed4993082",
    "1.29.0": "sha256:b4ef3988fff39b4e894b59f0581ce8c7c2910b51b7c62c9b021c32ecd5682d71",
    "1.30.0": "sha256:b91df812b586d1a6cc30eb026d8288e78a0685e3030a410f2fd4215284fd3404",
    "1.31.0": "sha256:f8e1b42a03ee94e500663d9ce0a5557181bd1e580e6eecfd98341b3154d84f6d",
    "1.32.0": "sha256:e6cf309656262418ec983800fa9c23f5c19571bd7f1ec2243fc8e1bf4069ad4e",
    "1.33.0": "sha256:8678c9f1f0124ef71d29c1169507218325e60a1983b0f75fba12ee2af0c103de",
    "1.34.0": "sha256:ac8f987d952b4deb0a31d959d233a539d5f92c2457b4a51558705d9c8b94a927",
    "1.35.0": "sha256:a5b65de4cda30bc6191495339bec84e74af900e264631f83b16559acfe1aa2a8",
    "1.36.0": "sha256:4990be989094a4f35726ee0e24690259d59a8370656bc04eb34a8e0f56249f38",
    "1.37.0": "sha256:87847a55957c2932d74ebbd8f70bc514e4fb6077409dfc78e1d4e105374e5080",
    "1.38.0": "sha256:b6345f62dbebb68d60c17fe9cc638c5f457678eee021c92d460ced2aa0df1814",
    "1.39.0": "sha256:c877fefbff3a0024c71c745cc4beb3829528d628a522a431caae175eb032719b",
    "1.40.0": "sha256:82703d3a6e2d0aaeb2079cec62c5ba309068de913247cd3f5979f64f97f95079",
    "1.41.0": "sha256:8d43e588cf5a13b038fe8ad401186f521a7b02b55f41f8b443c8a2e925f73e30",
    "1.42.0": "sha256:c35490317d3f35390c26bd6b8c1fbf70c2415fd3ebd4205eeedd97f614c103c0",
    "1.43.0": "sha256:7c661641fbb613cea59168ca96617ac02436cb6cee4f1fb3e85bf688ab70dae4",
    "1.44.0": "sha256:91071b979dfaeb27057173b345629860610ccb961dd68bbd368ef13b337d8952",
    "1.45.0": "sha256:593bdcb1772806d3b52984a46040a1afaf8e60a1a057a103d5e928a32f8056aa",
    "1.46.0": "sha256:1f8ca184c00a157417556b6fe22185443b1029d5eba8dca9eac8cc1851b7e039",
    "1.47.0": "sha256:7824378bddea41d11646f4ce9815581496950801dea6d370535d5459d3220311",
    "1.48.0": "sha256:f0e5a36ac18bf1b0bc05a1cd78a5d6a22e2d09f68f68ca3b41a23a003cc918d0",
    "1.49.0": "sha256:fd100615da1818968cda82b588488653cd8f70d871842b0fedc9338768629bad",
    "1.50.0": "sha256:a513d6cdf490416c1d37f75a5a97ed12bdea2bd5021b0f21ccc2cfebd7ca2761",
    "1.51.0": "sha256:9578a8d757bbf7e9f128ba47c862e49477a1cfbe4cf03f12c2c99ad6a674666a",
    "1.52.0": "sha256:a508cc4c45f2b39e532572f5429056ed53bfacdf1c7b18df3222a2ed4edd61bc",
    "1.53.0": "sha256:b4fa344d184a4e6288e1a13a2612107cc65b7c4e1aade5ac953a35afcaf968b7",
    "1.54.0": "sha256:7889dd333a64443c986e53b9419e27ae02afb9ba201c622674f750c6aeb83c44",
    "1.55.0": "sha256:13e320219552cddcc5240405f0b8b387c072b9e8c95b9fd32bd0650004a5394d",
    "1.56.0": "sha256:c10bddd6230b56cf8f1149748a2f6e4d20b3d37fdf6c3c1ddc6c38f83577e31a",
    "1.57.0": "sha256:6ecd1075e30c6b0dd65ebc73f12f2db0063afacbe8ed0dd54b9273405949a52f",
    "1.58.0": "sha256:8c9d392e7cfd3081c20236e14620dbbd2785ab7b2f243a9dc5fe5f0c3f9dd58f",
    "1.59.0": "sha256:4c3ea28d5d4d89966020ce35ccbba5032df4ca4ea6223992e23ad803aef87551",
    "1.60.0": "sha256:2fddf6f682bec83947ea17e2b7ed53e87098cf7acfec90107d04faaf447630c0",
    "1.61.0": "sha256:bcdcc1c0a941654ca135aa1651d6f823bbc189d16358c6d8bcb6f447f3cd6892",
    "1.62.0": "sha256:155f27a6396d28a0f3ce4c77fc3f83773e360cdce32c4c0f9ae25dbe9215352b",
    "1.63.0": "sha256:297c216a71623f97621964e0495dfa394ef54a94b6506622b2033ff5cb02cf8a",
    "1.64.0": "sha256:6b144965b58d87f46a864f9e9a59fd572bdaf8e659f41aa3ff43facc4bd7eb01",
    "1.65.0": "sha256:02af78538b4511ed7e767b35c3c618e1b969d9e1ed442c1ecc6a16fc443db829",
    "1.66.0": "sha256:d000971a19794e64d67e3dd217a543d66b7246952eeaf48152f3d032b2585188",
    "1.67.0": "sha256:615c42949822e794e648c881ee1342a6d81a3b8ae8edd805c3e34a1149c1dae0",
    "1.68.0": "sha256:1be7133718c1fddd3dab81634ddcd06db669fd995ae307f0842563f2f90c3090",
    "1.69.0": "sha256:49cba8c054864409b3805085b9fad2ef6a28e3bdda61b0e2192155a7a765c410",
    "1.70.0": "sha256:de2c2735377b31c179fa8b57e739e8d5938c0893f83f68b0d758f1562b89de48",
    "1.71.0": "sha256:01b0e5acd28a599195aa59e35e00a21af0f559def15e0b6c4ec927e48c560c54",
}


def test_rule_ids_are_unique_and_match_the_pattern() -> None:
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    assert all(RULE_ID.fullmatch(i) for i in ids)
    assert RULE_ID.pattern == r"^[A-Z]{2,4}-\d{2}$"


def test_every_rule_is_complete() -> None:
    for r in RULES:
        assert r.revision >= 1, r.id
        assert all((r.title, r.summary, r.rationale, r.cites, r.limitations, r.evidence)), r.id
        assert all(c.key in SOURCES for c in r.cites), r.id
        assert set(r.reads) <= KNOWN_KEYS, r.id
        for t in r.thresholds:
            assert all(s in SOURCES for s in t.sources), (r.id, t.name)


def test_unsigned_thresholds_are_flagged_in_limitations() -> None:
    for r in RULES:
        for t in r.thresholds:
            if not t.signed_off:
                assert any(t.name in x and "sign-off" in x for x in r.limitations), (r.id, t.name)


def test_version_is_semver_and_hash_is_pinned() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", RULESET_VERSION)
    assert RULESET_HASH.startswith("sha256:")
    assert len(RULESET_HASH) == 71
    assert RELEASED[RULESET_VERSION] == RULESET_HASH


def test_get_rule() -> None:
    rule = get_rule("LOF-02")
    assert rule is not None
    assert rule.id == "LOF-02"
    assert get_rule("NOPE-01") is None


def test_knowledge_base_lists_every_rule_with_citations_and_limitations() -> None:
    doc = knowledge_base_markdown()
    assert RULESET_VERSION in doc
    assert RULESET_HASH in doc
    for r in RULES:
        section = doc.split(f"### {r.id} ")[1].split("\n### ")[0]
        assert "**Why.**" in section
        assert "**Citations.**" in section
        assert "**Limitations.**" in section


def test_knowledge_base_document_is_current() -> None:
    path = Path(__file__).resolve().parents[2] / "docs" / "knowledge-base.md"
    assert path.read_text() == knowledge_base_markdown(), "run `kratom-cds rules doc`"


def test_hti1_source_attributes_for_every_intervention() -> None:
    data = knowledge_sources()
    assert data["ruleset_version"] == RULESET_VERSION
    assert len(data["interventions"]) == len(RULES)
    keys = {
        "citations",
        "developer",
        "funding_source",
        "release_date",
        "revision_date",
        "uses_race",
        "uses_ethnicity",
        "uses_language",
        "uses_sexual_orientation",
        "uses_gender_identity",
        "uses_sex",
        "uses_date_of_birth",
        "uses_social_determinants_of_health",
        "uses_health_status_assessments",
    }
    for item in data["interventions"]:
        assert keys <= set(item)
        assert item["citations"]
        assert item["developer"]
        assert item["uses_race"] is item["uses_ethnicity"] is item["uses_language"] is False


def test_hti1_attributes_follow_declared_inputs() -> None:
    by_id = {i["id"]: i for i in knowledge_sources()["interventions"]}
    assert by_id["QT-01"]["uses_sex"] is True  # sex-specific QTc threshold
    assert by_id["MH-06"]["uses_sex"] is True  # AUDIT-C threshold by sex
    assert by_id["LOC-04"]["uses_social_determinants_of_health"] is True  # housing, support
    assert by_id["VS-01"]["uses_sex"] is False
    assert by_id["VS-01"]["uses_social_determinants_of_health"] is False
    assert by_id["MH-04"]["uses_health_status_assessments"] is True  # PHQ-9, GAD-7
    assert "/patient/sex_at_birth" in expanded_inputs(get_rule("OD-03"))  # via AUDIT-C
