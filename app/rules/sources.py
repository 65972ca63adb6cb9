"""The published sources the rules cite, keyed as in docs/evidence-verification.md and the
clinical reference. `verification` records what our evidence check found."""

from __future__ import annotations

from app.rules.types import Source


def _s(
    key: str,
    citation: str,
    year: int | None,
    design: str,
    verification: str,
    *,
    url: str | None = None,
    doi: str | None = None,
) -> Source:
    return Source(key, citation, year, url, doi, design, verification)


_ALL = (
    _s(
        "COWS",
        "Wesson DR, Ling W. The Clinical Opiate Withdrawal Scale (COWS). J Psychoactive "
        "Drugs 2003;35(2):253-259.",
        2003,
        "validated instrument",
        "V23 CONFIRMED (bands 5-12/13-24/25-36/>36)",
        doi="10.1080/02791072.2003.10400007",
    ),
    _s(
        "SOWS",
        "Handelsman L, et al. Two new rating scales for opiate withdrawal. Am J Drug "
        "Alcohol Abuse 1987;13(3):293-308.",
        1987,
        "validated instrument",
        "V22: no severity bands in the instrument sources; trend use only",
        url="https://www.emcdda.europa.eu/drugs-library/subjective-opiate-withdrawal-scale_en",
    ),
    _s(
        "DSM5",
        "American Psychiatric Association. DSM-5 (2013) / DSM-5-TR (2022), substance use "
        "disorder criteria and severity specifiers.",
        2013,
        "diagnostic manual",
        "Read in primary source (clinical reference [H])",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6590307/table/ajad12862-tbl-0001",
    ),
    _s(
        "SMITH24",
        "Smith KE, Epstein DH, Weiss ST. Controversies in assessment, diagnosis, and "
        "treatment of kratom use disorder. Curr Psychiatry Rep 2024;26(9):487-496.",
        2024,
        "narrative review",
        "Clinical reference [M]",
        doi="10.1007/s11920-024-01524-1",
    ),
    _s(
        "NEWS2",
        "Royal College of Physicians. National Early Warning Score (NEWS) 2. London: "
        "RCP, 2017 (ISBN 978-1-86016-682-2).",
        2017,
        "national early-warning standard",
        "V12 CONFIRMED (parameter bands and response thresholds)",
        url="https://www.rcpjournals.org/highwire/markup/14242/expansion",
    ),
    _s(
        "ASAM3",
        "Mee-Lee D, ed. The ASAM Criteria, 3rd ed. American Society of Addiction "
        "Medicine, 2013 (withdrawal-management levels 1-WM to 4-WM).",
        2013,
        "consensus placement criteria",
        "V20 CONFIRMED from secondary reproductions; COWS-band mapping is an engine choice [L]",
        url="https://www.seekhealthz.com/drugs/admission-criteria-of-opioid-withdrawal/",
    ),
    _s(
        "ASAMAWM",
        "ASAM Clinical Practice Guideline on Alcohol Withdrawal Management. J Addict "
        "Med 2020;14(3S). Recommendations III.1-III.3.",
        2020,
        "guideline (RAND/UCLA appropriateness consensus)",
        "Recommendations III.1-III.3 read (level of care; suicide risk setting)",
        url="https://eguideline.guidelinecentral.com/i/1254278-alcohol-withdrawal-management/8",
    ),
    _s(
        "ASAMNPG",
        "ASAM National Practice Guideline for the Treatment of Opioid Use Disorder: "
        "2020 Focused Update. J Addict Med 2020;14(2S).",
        2020,
        "guideline",
        "Indexed; initiation passage not reached (V01)",
        url="https://readkong.com/page/national-practice-guideline-for-the-treatment-of-opioid-5057039",
    ),
    _s(
        "ACEP-BUPE",
        "American College of Emergency Physicians. Buprenorphine use in the "
        "emergency department tool.",
        2021,
        "professional society protocol",
        "V01: COWS >=8 (>=13 after methadone/long-acting opioids) read",
        url="https://www.acep.org/patient-care/bupe/",
    ),
    _s(
        "GUO21",
        "Guo CZ, et al. Emergency department-initiated buprenorphine protocols: a "
        "national evaluation. JACEP Open 2021;2(6):e12606.",
        2021,
        "protocol review",
        "V01: 27 of 31 protocols use minimum COWS 8",
        doi="10.1002/emp2.12606",
    ),
    _s(
        "BUPLABEL",
        "Buprenorphine and buprenorphine/naloxone sublingual prescribing information "
        "(sections 2, 5, 8.6).",
        2022,
        "FDA label",
        "V02/V14 CONFIRMED (label minimum 4 h / 24 h; hepatic impairment wording)",
        url="https://www.empr.com/drug/buprenorphine-sublingual-tablets/",
    ),
    _s(
        "FDADSC17",
        "U.S. FDA Drug Safety Communication, 20 Sep 2017: buprenorphine and methadone "
        "should not be withheld from patients taking benzodiazepines or CNS depressants.",
        2017,
        "regulatory safety communication",
        "Clinical reference [H]",
        url="https://www.fda.gov/Drugs/DrugSafety/ucm575307.htm",
    ),
    _s(
        "LEI21",
        "Lei J, Butz A, Valentino N. Management of kratom dependence with "
        "buprenorphine/naloxone in a veteran population. Subst Abus 2021.",
        2021,
        "case series (n=3)",
        "V02 CONFIRMED: induction as early as 8 h after last kratom use",
        doi="10.1080/08897077.2021.1878086",
    ),
    _s(
        "WEISS21",
        "Weiss ST, Douglas HE. Treatment of kratom withdrawal and dependence with "
        "buprenorphine/naloxone: a case series and systematic literature review. J Addict Med "
        "2021;15(2):167-172. PMID 32858563.",
        2021,
        "case series (n=8) and review",
        "Clinical reference [M]",
        url="https://pubmed.ncbi.nlm.nih.gov/32858563/",
    ),
    _s(
        "BROYAN22",
        "Long-term buprenorphine treatment for kratom use disorder: a case series "
        "(n=28). Subst Abus 2022 (Washington State University).",
        2022,
        "case series (n=28)",
        "Clinical reference [M]; author list unverified",
        url="https://www.vancouver.wsu.edu/research-showcase/research-showcase-gallery-poster-2132",
    ),
    _s(
        "KIYO23",
        "Kiyokawa M, Kwon AK, Cape MC, Streltzer JM. Kratom use disorder: case reports "
        "on successful treatment with home induction of buprenorphine-naloxone. Fam Pract "
        "2023;40(4):596-598.",
        2023,
        "case reports (n=2)",
        "Clinical reference [M]",
        doi="10.1093/fampra/cmad081",
    ),
    _s(
        "LEVOUNIS",
        "Medscape/MDedge report (May 2021) on Ahmed S, et al., APA 2021: literature "
        "review and expert survey on kratom use disorder treatment.",
        2021,
        "conference report (expert survey)",
        "Clinical reference [M]; survey figure unverified",
        url="https://qa00.mdedge.com/familymedicine/article/240232/addiction-medicine/"
        "opioid-addiction-meds-may-curb-growing-problem/page/0/1",
    ),
    _s(
        "MARWAH20",
        "Marwah R, Coons C, Myers J, Dumont Z. Buprenorphine-naloxone microdosing: "
        "tool for opioid agonist therapy induction. Can Fam Physician 2020;66(12):891-894.",
        2020,
        "clinical review",
        "Clinical reference [M]; not studied in kratom use disorder",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC7745932/",
    ),
    _s(
        "LUCEMYRA-PI",
        "LUCEMYRA (lofexidine) tablets prescribing information, US WorldMeds 2018/2020.",
        2020,
        "FDA label",
        "V03-V07 CONFIRMED (dose caps, hepatic/renal dosing, hypotension/QT warnings; no "
        "numeric hold values in the label)",
        url="https://hcp.lucemyra.com/safety/",
    ),
    _s(
        "CKDEPI21",
        "Inker LA, Eneanya ND, Coresh J, et al. New creatinine- and cystatin C-based equations "
        "to estimate GFR without race. N Engl J Med 2021;385:1737-1749.",
        2021,
        "validated equation",
        "V32 CONFIRMED: eGFRcr = 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x "
        "1.012 [female]; k 0.7/0.9, a -0.241/-0.302 (female/male); adults (National Kidney "
        "Foundation equation page and NIDDK adult eGFR page, read 2026-11-27)",
        doi="10.1056/NEJMoa2102953",
    ),
    _s(
        "BILI-REF",
        "Mayo Clinic. Bilirubin test: results. Tests and procedures (mayoclinic.org); "
        "Medscape, Conjugated hyperbilirubinemia: overview (2021). Published adult reference "
        "ranges for serum total bilirubin.",
        2021,
        "reference range (clinical laboratory reference)",
        "V33 CONFIRMED as reference ranges, not a recommendation: Mayo Clinic gives normal total "
        "bilirubin 0.1-1.0 mg/dL (adult men; a later edition: up to 1.2 mg/dL in adults, "
        "usually 1 mg/dL under 18), Medscape 0.2-1 mg/dL; no adult range read had an upper "
        "limit below 1.0 mg/dL (read 2026-11-27)",
        url="https://www.mayoclinic.org/tests-procedures/bilirubin/about/pac-20393041",
    ),
    _s(
        "FDA-BZD20",
        "US Food and Drug Administration. FDA requiring Boxed Warning updated to improve safe "
        "use of benzodiazepine drug class. Drug Safety Communication, 23 September 2020.",
        2020,
        "regulatory safety communication",
        "V31 CONFIRMED (fda.gov page read 2026-11-27): 'Physical dependence can occur when "
        "benzodiazepines are taken steadily for several days to weeks, even as prescribed. "
        "Stopping them abruptly or reducing the dosage too quickly can result in withdrawal "
        "reactions, including seizures, which can be life-threatening.'",
        url="https://www.fda.gov/drugs/drug-safety-and-availability/fda-requiring-boxed-warning-updated-improve-safe-use-benzodiazepine-drug-class",
    ),
    _s(
        "NALOXONE-PI",
        "NARCAN (naloxone hydrochloride) nasal spray prescribing information, section 1 "
        "Indications and Usage (openFDA label, set 139c30b9-5600-48f5-8610-0cacd2782398).",
        2023,
        "FDA label",
        "V30 CONFIRMED: 'emergency treatment of known or suspected opioid overdose, as "
        "manifested by respiratory and/or central nervous system depression'; the same words in "
        "the KLOXXADO, REZENOPY and generic naloxone nasal spray labels (openFDA, read "
        "2026-11-27)",
        url="https://api.fda.gov/drug/label.json?search=set_id:%22139c30b9-5600-48f5-8610-0cacd2782398%22",
    ),
    _s(
        "LOPERAMIDE-PI",
        "Loperamide hydrochloride capsules prescribing information (WARNINGS: Cardiac adverse "
        "reactions, including Torsades de Pointes and sudden death), and FDA Drug Safety "
        "Communication, 7 June 2016 (updated 2018), on serious heart problems with high doses "
        "of loperamide.",
        2018,
        "FDA label",
        "V29 CONFIRMED: 'Avoid loperamide hydrochloride in combination with other drugs or "
        "herbal products that are known to prolong the QT interval ... (e.g. ... methadone)' "
        "and in patients with risk factors for QT prolongation, including congenital long QT "
        "syndrome (label WARNINGS, as reproduced from the DailyMed SPL); cardiac events mostly "
        "with higher than recommended doses, often to self-treat opioid withdrawal (FDA DSC)",
        url="https://www.fda.gov/drugs/drug-safety-and-availability/fda-drug-safety-communication-fda-warns-about-serious-heart-problems-high-doses-antidiarrheal",
    ),
    _s(
        "FISHMAN19",
        "Fishman M, et al. Safety and efficacy of lofexidine for medically managed "
        "opioid withdrawal: a randomized controlled clinical trial. J Addict Med 2019. PMID "
        "30531234.",
        2019,
        "randomised controlled trial",
        "V08: SBP<90 / DBP<50 / HR<50 CONFIRMED as adverse-event definitions, not as a "
        "dose-hold protocol",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC6541556/table/T2",
    ),
    _s(
        "CLON-LABEL",
        "Clonidine hydrochloride tablets prescribing information (discontinue "
        "gradually over 2-4 days); hold parameters from withdrawal-management protocols.",
        None,
        "FDA label and secondary protocols",
        "V11: taper CONFIRMED; hold values NOT FOUND in a primary source",
    ),
    _s(
        "VIVITROL-PI",
        "VIVITROL (naltrexone for extended-release injectable suspension) "
        "prescribing information, section 2.",
        2022,
        "FDA label",
        "V13 CONFIRMED: opioid-free 7-10 days; up to 2 weeks after buprenorphine or methadone; "
        "Warnings and Precautions 5.1 'Vulnerability to Opioid Overdose' listed in the openFDA "
        "label record (read 2026-11-27)",
        url="https://themeditary.com/dosage-information/vivitrol-dosage-1158.html",
    ),
    _s(
        "JARKA23",
        "Jarka C, Gregoire K. Precipitated withdrawal with kratom use following "
        "naltrexone administration. Ment Health Clin 2023;13(3):155-158.",
        2023,
        "case report",
        "Clinical reference [H]",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC10337879",
    ),
    _s(
        "KRANTZ09",
        "Krantz MJ, Martin J, Stimmel B, Mehta D, Haigney MC. QTc interval screening "
        "in methadone treatment. Ann Intern Med 2009;150(6):387-395.",
        2009,
        "expert panel recommendation",
        "V10 CONFIRMED (>450 and <500 monitor; >500 act)",
        url="https://pubmed.ncbi.nlm.nih.gov/19153406/",
    ),
    _s(
        "SAMHSAQT",
        "Martin JA, et al. QT interval screening in methadone maintenance treatment: "
        "report of a SAMHSA expert panel. J Addict Dis 2011;30(4):283-306.",
        2011,
        "expert panel report",
        "V10 CONFIRMED",
        url="https://pubmed.ncbi.nlm.nih.gov/22026519/",
    ),
    _s(
        "RAUTAHARJU09",
        "Rautaharju PM, Surawicz B, Gettes LS. AHA/ACCF/HRS recommendations for "
        "the standardization and interpretation of the electrocardiogram, part IV. J Am Coll "
        "Cardiol 2009;53(11):982-991.",
        2009,
        "professional society recommendation",
        "V09 CORRECTED: prolonged QTc >=450 ms men, >=460 ms women (via secondary summaries)",
        doi="10.1016/j.jacc.2008.12.014",
    ),
    _s(
        "DREW10",
        "Drew BJ, et al. Prevention of torsade de pointes in hospital settings. AHA/ACCF "
        "scientific statement. Circulation 2010;121:1047-1060.",
        2010,
        "scientific statement",
        "V09: >500 ms highly abnormal (via secondary summaries)",
        doi="10.1161/CIRCULATIONAHA.109.192704",
    ),
    _s(
        "LEONG21A",
        "Leong Bin Abdullah MFI, Singh D. Assessment of cardiovascular functioning "
        "among regular kratom users: a case series. Front Pharmacol 2021;12:723567.",
        2021,
        "case series (n=9)",
        "Clinical reference [M]",
        url="https://www.frontiersin.org/articles/10.3389/fphar.2021.723567/full",
    ),
    _s(
        "LEONG21B",
        "Leong Bin Abdullah MFI, Singh D. The adverse cardiovascular effects and "
        "cardiotoxicity of kratom: a comprehensive review. Front Pharmacol 2021;12:726003.",
        2021,
        "review",
        "Clinical reference [M]",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC8504575",
    ),
    _s(
        "HOLTON24",
        "Holton K, et al. Acquired type 1 Brugada syndrome induced by chronic "
        "high-dose kratom use. Cureus 2024;16(10):e72129.",
        2024,
        "case report",
        "Clinical reference [M]",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC11580713",
    ),
    _s(
        "ACG14",
        "Chalasani NP, et al. ACG clinical guideline: diagnosis and management of "
        "idiosyncratic drug-induced liver injury. Am J Gastroenterol 2014;109(7):950-966.",
        2014,
        "guideline",
        "V24 CONFIRMED (R ratio >=5 / 2-5 / <=2)",
        doi="10.1038/ajg.2014.131",
    ),
    _s(
        "HYS-FDA09",
        "U.S. FDA. Guidance for industry: drug-induced liver injury: premarketing "
        "clinical evaluation (July 2009), Hy's law.",
        2009,
        "regulatory guidance",
        "V25 CONFIRMED with nuance: FDA wording is bilirubin >2x ULN and no initial "
        "cholestasis; the engine's >=2x is the broader, conservative reading",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC8359338/table/bcp14708-tbl-0001",
    ),
    _s(
        "LIVERTOX",
        "NIDDK LiverTox: Kratom monograph and DILIN reference cases 6972 and 8332.",
        2023,
        "reference monograph and case reports",
        "Clinical reference [H/M]",
        url="https://livertox.niddk.nih.gov/Home/ReferenceCases/kratom/8332",
    ),
    _s(
        "PHQ9",
        "Kroenke K, Spitzer RL, Williams JBW. The PHQ-9: validity of a brief depression "
        "severity measure. J Gen Intern Med 2001;16:606-613.",
        2001,
        "validation study",
        "V17 CONFIRMED (bands 5/10/15/20; >=10 sens/spec 88%); item-9 action is practice "
        "convention",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC1495268/",
    ),
    _s(
        "GAD7",
        "Spitzer RL, Kroenke K, Williams JBW, Lowe B. A brief measure for assessing "
        "generalized anxiety disorder: the GAD-7. Arch Intern Med 2006;166:1092-1097.",
        2006,
        "validation study",
        "V18 CONFIRMED (bands 5/10/15; >=10 sens 89% spec 82%)",
        doi="10.1001/archinte.166.10.1092",
    ),
    _s(
        "PCL5",
        "Weathers FW, et al. The PTSD Checklist for DSM-5 (PCL-5). National Center for PTSD, 2013.",
        2013,
        "validated instrument",
        "V15 CONFIRMED (cut-off 31-33; cluster rule; no severity bands)",
        url="https://comorbidityguidelines.org.au/appendix-s-ptsd-checklist-for-dsm5-pcl5/"
        "pcl5-scoring-and-interpretation",
    ),
    _s(
        "CSSRS",
        "Posner K, et al. Columbia-Suicide Severity Rating Scale screener; clinical "
        "triage and workflow guidelines.",
        2011,
        "validated instrument and triage guidance",
        "V19: high-risk definition CONFIRMED; moderate/low tiers are setting-defined",
        url="https://cssrs.columbia.edu/the-columbia-scale-c-ssrs/triage-c-ssrs/",
    ),
    _s(
        "AUDITC",
        "Bush K, et al. The AUDIT alcohol consumption questions (AUDIT-C). Arch Intern "
        "Med 1998;158:1789-1795; Bradley KA, et al. Alcohol Clin Exp Res 2007;31:1208-1217.",
        2007,
        "validation studies",
        "V16 NOT FOUND in primary (>=4 men / >=3 women widely used)",
        doi="10.1001/archinte.158.16.1789",
    ),
    _s(
        "DAST10",
        "Skinner HA. The Drug Abuse Screening Test. Addict Behav 1982;7:363-371; DAST-10 "
        "scoring and interpretation as tabled in the Australian comorbidity guidelines "
        "(appendix W).",
        1982,
        "validation study; guideline appendix",
        "Bands as the clinical reference tables them (0, 1-2, 3-5, 6-8, 9-10); item 3 "
        "reverse-scored; not re-read in the primary",
        doi="10.1016/0306-4603(82)90005-3",
    ),
    _s(
        "SAMHSA14",
        "SAMHSA. SAMHSA's concept of trauma and guidance for a trauma-informed "
        "approach. HHS Publication No. (SMA) 14-4884, 2014.",
        2014,
        "federal guidance",
        "Clinical reference [H]",
        url="https://docslib.org/doc/9560189/concept-of-trauma-and-guidance-for-a-trauma-informed-approach",
    ),
    _s(
        "FDA7OH",
        "U.S. FDA press release, 29 July 2025: FDA takes steps to restrict 7-OH opioid "
        "products (recommendation to schedule; warning letters to 7 companies).",
        2025,
        "regulatory statement",
        "V26 CONFIRMED (potency 'can be more potent than morphine')",
        url="https://www.fda.gov/news-events/press-announcements",
    ),
    _s(
        "POST19",
        "Post S, Spiller HA, Chounthirath T, Smith GA. Kratom exposures reported to "
        "United States poison control centers: 2011-2017. Clin Toxicol 2019;57(10):847-854.",
        2019,
        "poison-centre surveillance",
        "Clinical reference [H]",
        doi="10.1080/15563650.2019.1569236",
    ),
    _s(
        "OLSEN19",
        "Olsen EO, et al. Notes from the field: unintentional drug overdose deaths "
        "with kratom detected - 27 states, July 2016-December 2017. MMWR 2019;68:326-327.",
        2019,
        "mortality surveillance",
        "Clinical reference [H]",
        url="https://www.cdc.gov/mmwr/volumes/68/wr/mm6814a2.htm",
    ),
    _s(
        "EGGLESTON19",
        "Eggleston W, et al. Kratom use and toxicities in the United States. "
        "Pharmacotherapy 2019;39(7):775-777.",
        2019,
        "poison-centre surveillance",
        "Clinical reference [M]",
        doi="10.1002/phar.2280",
    ),
    _s(
        "LABCORP",
        "Labcorp test 38091, Kratom (mitragynine) screen and confirmation, urine.",
        2024,
        "laboratory test definition",
        "V27 CONFIRMED (immunoassay 5.0 ng/mL, LC-MS/MS 1.0 ng/mL; 5-10 days)",
        url="https://labcorp.com/test-menu/38091/kratom-mitragynine-screen-and-confirmation-urine",
    ),
    _s(
        "ARUP",
        "ARUP Laboratories test 3003311, Kratom (mitragynine) screen with reflex.",
        2024,
        "laboratory test definition",
        "V27 CONFIRMED (6-9 days)",
        url="https://ltd.aruplab.com/Tests/Pub/3003311",
    ),
    _s(
        "CDC22",
        "Dowell D, et al. CDC clinical practice guideline for prescribing opioids for "
        "pain - United States, 2022. MMWR Recomm Rep 2022;71(3):1-95. Recommendations 8, 10, 12.",
        2022,
        "guideline",
        "Recommendation text read (CDC page and CDS IG)",
        url="https://www.cdc.gov/opioids/healthcare-professionals/prescribing/opioid-use-disorder.html",
    ),
    _s(
        "BCCSU17",
        "British Columbia Centre on Substance Use. A guideline for the clinical "
        "management of opioid use disorder (2017), recommendations 6-7 (CMAJ 2018 summary).",
        2017,
        "guideline (GRADE)",
        "Recommendation 6 read with its grade (moderate quality, strong)",
        url="http://www.cmaj.ca/highwire/markup/69315/expansion",
    ),
    _s(
        "ACOG711",
        "ACOG Committee Opinion No. 711 (with ASAM): Opioid use and opioid use "
        "disorder in pregnancy, 2017 (reaffirmed 2021).",
        2017,
        "professional society opinion",
        "V28 CONFIRMED; 'at least mild withdrawal' translated as COWS >=5 [L]",
        url="https://www.asam.org/quality-care/clinical-recommendations/OUD-in-Pregnancy",
    ),
    _s(
        "NYSPREG",
        "NYSDOH AIDS Institute Clinical Guidelines Program: treatment of opioid use "
        "disorder in pregnancy (recommendations).",
        2021,
        "guideline",
        "Clinical reference [H]",
        url="https://ncbi.nlm.nih.gov/books/NBK572854/table/recommend_55310/?report=objectonly",
    ),
    _s(
        "NAS",
        "Eldridge WB, Foster C, Wyble L. Neonatal abstinence syndrome due to maternal "
        "kratom use. Pediatrics 2018;142(6):e20181839.",
        2018,
        "case report",
        "Clinical reference [H]",
        url="https://pubmed.ncbi.nlm.nih.gov/30404789/",
    ),
    _s(
        "WHO09",
        "WHO. Clinical guidelines for withdrawal management and treatment of drug "
        "dependence in closed settings (2009), chapter 4.",
        2009,
        "guideline",
        "Clinical reference [H]",
        url="https://www.ncbi.nlm.nih.gov/books/NBK310652/",
    ),
    _s(
        "GALBIS16",
        "Galbis-Reig D. A case report of kratom addiction and withdrawal. WMJ 2016;115(1):49-52.",
        2016,
        "case report",
        "Clinical reference [M]",
    ),
    _s(
        "SINGH14",
        "Singh D, Muller CP, Vicknasingam BK. Kratom dependence, withdrawal symptoms "
        "and craving in regular users. Drug Alcohol Depend 2014;139:132-137.",
        2014,
        "cross-sectional survey (n=293)",
        "Clinical reference [M]",
        doi="10.1016/j.drugalcdep.2014.03.017",
    ),
    _s(
        "GRUND17",
        "Grundmann O. Patterns of kratom use and health impact in the US - results "
        "from an online survey. Drug Alcohol Depend 2017;176:63-70.",
        2017,
        "online survey (n=8,049)",
        "Clinical reference [M]",
        doi="10.1016/j.drugalcdep.2017.03.007",
    ),
    _s(
        "GARCIA20",
        "Garcia-Romeu A, et al. Kratom (Mitragyna speciosa): user demographics, use "
        "patterns, and implications for the opioid epidemic. Drug Alcohol Depend "
        "2020;208:107849.",
        2020,
        "online survey (n=2,798)",
        "Clinical reference [M]",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC7423016",
    ),
    _s(
        "DUTRA08",
        "Dutra L, et al. A meta-analytic review of psychosocial interventions for "
        "substance use disorders. Am J Psychiatry 2008;165(2):179-187.",
        2008,
        "meta-analysis",
        "Clinical reference [M]",
        doi="10.1176/appi.ajp.2007.06111851",
    ),
    _s(
        "PRENDERGAST06",
        "Prendergast M, et al. Contingency management for treatment of "
        "substance use disorders: a meta-analysis. Addiction 2006;101(11):1546-1560.",
        2006,
        "meta-analysis",
        "Clinical reference [M]",
        doi="10.1111/j.1360-0443.2006.01581.x",
    ),
    _s(
        "GINLEY21",
        "Ginley MK, Pfund RA, Rash CJ, Zajac K. Long-term efficacy of contingency "
        "management treatment: a meta-analysis. J Consult Clin Psychol 2021;89(1):58-71.",
        2021,
        "meta-analysis (23 RCTs)",
        "Clinical reference [M]",
        doi="10.1037/ccp0000552",
    ),
    _s(
        "KELLY20",
        "Kelly JF, Humphreys K, Ferri M. Alcoholics Anonymous and other 12-step "
        "programs for alcohol use disorder. Cochrane Database Syst Rev 2020;(3):CD012880.",
        2020,
        "Cochrane systematic review (27 studies)",
        "Clinical reference [H]",
        doi="10.1002/14651858.CD012880.pub2",
    ),
    _s(
        "MCKAY09",
        "McKay JR. Continuing care research: what we've learned and where we're "
        "going. J Subst Abuse Treat 2009;36(2):131-145.",
        2009,
        "review",
        "Clinical reference [H]",
        url="https://pmc.ncbi.nlm.nih.gov/articles/PMC2670779",
    ),
    _s(
        "MCKAY21",
        "McKay JR. Impact of continuing care on recovery from substance use disorder. "
        "Alcohol Res 2021;41(1):01.",
        2021,
        "review",
        "Clinical reference [H]",
        url="https://arcr.niaaa.nih.gov/volume/41/1/impact-continuing-care-recovery-substance-use-disorder",
    ),
    _s(
        "RAND15",
        "Grant S, et al. Needle acupuncture for substance use disorders: a systematic "
        "review. RAND RR-1030, 2015.",
        2015,
        "systematic review",
        "Clinical reference [M]",
        url="https://www.rand.org/pubs/research_reports/RR1030.html",
    ),
    _s(
        "BAKER16",
        "Baker TE, Chang G. The use of auricular acupuncture in opioid use disorder: "
        "a systematic literature review. Am J Addict 2016;25:592-602.",
        2016,
        "systematic review",
        "Clinical reference [M]",
        doi="10.1111/ajad.12453",
    ),
    _s(
        "BEERS23",
        "American Geriatrics Society 2023 updated AGS Beers Criteria for potentially "
        "inappropriate medication use in older adults. J Am Geriatr Soc 2023;71(7):2052-81. "
        "Criteria 5 (Table 6): NSAIDs, avoid at creatinine clearance < 30 mL/min (moderate "
        "quality, strong recommendation). Table 2: first-generation antihistamines, avoid "
        "(highly anticholinergic). The criteria apply to adults 65 years old and older.",
        2023,
        "consensus criteria (systematic evidence review)",
        "Table 6 NSAID rows read in a reproduction (2026-11-27); scope (65 and older) read in "
        "the 2023 abstract; first-generation antihistamines 'Avoid' read in the AGS 2023 "
        "alternatives table and, with its grade (moderate quality, strong), in the 2015 table "
        "(CCJM reproduction): the 2023 grade itself not re-read (verify)",
        doi="10.1111/jgs.18372",
    ),
    _s(
        "EASL18",
        "European Association for the Study of the Liver. EASL Clinical Practice Guidelines "
        "for the management of patients with decompensated cirrhosis. J Hepatol "
        "2018;69(2):406-460 (NSAIDs should not be used in patients with ascites).",
        2018,
        "guideline (GRADE)",
        "Bibliographic record confirmed 2026-11-27; the NSAID recommendation as commonly "
        "quoted, not re-read in the full text (verify)",
        doi="10.1016/j.jhep.2018.03.024",
    ),
    _s(
        "ICD10CM",
        "Centers for Disease Control and Prevention, National Center for Health Statistics. "
        "ICD-10-CM Tabular List of Diseases and Injuries (categories F10-F13, F32-F34, F40-F41, "
        "F43, G40, G45, G89, I11, I13, I21-I22, I44-I45, I49, I50, I60-I69, N18, R00, R07, R55, "
        "T40, Z86).",
        2025,
        "classification",
        "Category meanings as published in the tabular list (the codes read are listed in each "
        "rule); not a clinical recommendation",
        url="https://www.cdc.gov/nchs/icd/icd-10-cm/index.html",
    ),
    _s(
        "SNOMEDCT",
        "SNOMED International. SNOMED CT International Edition (concepts matched exactly, "
        "without subsumption).",
        2025,
        "terminology",
        "Concept meanings as published (the concept ids read are listed in each rule); "
        "not a clinical recommendation",
        url="https://www.snomed.org/",
    ),
)

SOURCES: dict[str, Source] = {s.key: s for s in _ALL}
