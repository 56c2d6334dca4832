/* special_da.h — tale's Danish lexicons for the special categories of
 * personal data (GDPR art. 9 and 10), used by nlp/redact.c at --level strict.
 * Written by hand for tale (see README.md beside this file for what they
 * cover and where the knowledge comes from); no third-party list is copied.
 *
 * One pattern per string, lowercase words separated by single spaces:
 *   word      the token, lowercased, equals word
 *   word*     the token starts with word       ("morfin*": "morfinbehandling")
 *   *word     the token ends with word         ("center for *behandling")
 *   *word*    the token contains word          ("*psykiatri*": "distriktspsykiatrien")
 *   Word      a pattern word with an uppercase letter matches case-sensitively
 *             ("ADHD", "3F")
 *   ^Word     ... and never as the first word of a sentence ("^Venstre")
 * A token matches a word also when it continues with a hyphen ("ADHD-udredning").
 * The longest match (in tokens, then bytes) wins at a position.
 */
#ifndef TALE_SPECIAL_DA_H
#define TALE_SPECIAL_DA_H

/* [HELBRED]: diagnoses (ICD-10 chapter names and common Danish names),
 * medicines (generic substance names; a few brand names), treatments and
 * treatment places. */
static const char *const lex_health[] = {
    /* mental and behavioural (ICD-10 F) */
    "depression*", "depressiv*", "antidepressiv*", "angst", "angsten", "angstlidelse*", "angstanfald*",
    "angsttilstand*", "panikangst*", "panikanfald*", "socialfobi*", "fobi", "fobier", "ocd", "OCD",
    "tvangstanker", "tvangshandlinger", "ptsd", "PTSD", "posttraumatisk*", "traume*", "adhd", "ADHD",
    "ADD", "autisme*", "autistisk*", "asperger*", "skizofreni*", "skizofren", "skizotyp*", "psykose*",
    "psykotisk*", "bipolar*", "maniodepressiv*", "mani", "personlighedsforstyrrelse*",
    "emotionelt ustabil*", "borderline", "spiseforstyrrelse*", "anoreksi*", "bulimi*", "demens*",
    "dement", "demente", "alzheimer*", "udviklingshæm*", "mental retardering", "tourette*",
    "ordblind*", "stress", "stressen", "stressramt*", "stresssygemeld*", "stressreaktion*",
    "belastningsreaktion*", "tilpasningsreaktion*", "udbrændthed", "selvmord*", "selvskade*",
    "cutting", "misbrug*", "*misbrug", "*misbruget", "*misbrugs", "stofmisbrug*", "alkoholmisbrug*",
    "alkoholiker*", "alkoholisme", "alkoholafhængig*", "alkoholproblem*", "afhængighed", "narkoman*",
    "ludoman*", "spilleafhængig*", "hashmisbrug*", "abstinens*", "afrusning*", "delirium*",
    /* somatic */
    "diabetes", "sukkersyge*", "kræft*", "cancer*", "brystkræft*", "tarmkræft*", "lungekræft*",
    "leukæmi*", "lymfom*", "tumor*", "svulst*", "hiv", "HIV", "aids", "AIDS", "hepatitis*",
    "hepatitis a", "hepatitis b", "hepatitis c", "leverbetændelse*", "parkinsons sygdom",
    "alzheimers sygdom", "crohns sygdom", "aspergers syndrom", "downs syndrom", "skrumpelever*", "cirrose*", "astma*", "kol", "KOL", "gigt*", "leddegigt*",
    "slidgigt*", "fibromyalgi*", "piskesmæld*", "whiplash*", "sklerose*", "dissemineret sklerose",
    "parkinson*", "epilepsi*", "epileptisk*", "migræne*", "hjerneskade*", "hjerneskadet",
    "hjernerystelse*", "hjerneblødning*", "blodprop*", "apopleksi*", "slagtilfælde*", "hjertesvigt*",
    "hjerteanfald*", "hjertestop*", "hjerteinfarkt*", "forhøjet blodtryk", "tinnitus", "blind",
    "svagsynet*", "døv", "døve", "hørehæmme*", "lammet", "lammelse*", "rygmarvsskade*",
    "diskusprolaps*", "prolaps*", "discusprolaps*", "nyresvigt*", "crohn*", "colitis*",
    "cøliaki*", "allergi*", "infektion*", "lungebetændelse*", "tuberkulose*", "covid*", "corona*",
    "long covid", "senfølge*", "handicap*", "funktionsnedsættelse*", "kronisk syg", "kronisk smerte*",
    "kroniske smerter", "smertepatient*", "gravid*", "graviditet*", "abort*", "ufrivillig barnløs*",
    "fertilitetsbehandling*", "overvægt*", "svær overvægt", "fedme*", "fedmekirurgi*", "søvnapnø*",
    /* medicines: generic substances, ATC groups N05/N06/N02/N03/A10 and others */
    "sertralin*", "citalopram*", "escitalopram*", "fluoxetin*", "paroxetin*", "venlafaxin*",
    "duloxetin*", "mirtazapin*", "mianserin*", "nortriptylin*", "amitriptylin*", "vortioxetin*",
    "bupropion*", "quetiapin*", "olanzapin*", "risperidon*", "aripiprazol*", "haloperidol*",
    "clozapin*", "zuclopenthixol*", "chlorprothixen*", "lithium*", "lamotrigin*", "valproat*",
    "carbamazepin*", "levetiracetam*", "methylphenidat*", "lisdexamfetamin*", "dexamfetamin*",
    "atomoxetin*", "guanfacin*", "melatonin*", "morfin*", "oxycodon*", "tramadol*", "metadon*",
    "buprenorfin*", "fentanyl*", "kodein*", "ketobemidon*", "diazepam*", "oxazepam*", "alprazolam*",
    "clonazepam*", "lorazepam*", "nitrazepam*", "zopiclon*", "zolpidem*", "gabapentin*",
    "pregabalin*", "insulin*", "metformin*", "liraglutid*", "semaglutid*", "disulfiram*", "antabus*",
    "naltrexon*", "acamprosat*", "prednisolon*", "levothyroxin*", "warfarin*", "marevan*",
    "methotrexat*", "furosemid*", "sumatriptan*", "amlodipin*", "simvastatin*", "atorvastatin*",
    "metoprolol*", "bisoprolol*", "losartan*", "enalapril*", "apixaban*", "rivaroxaban*",
    "omeprazol*", "pantoprazol*", "salbutamol*", "budesonid*", "penicillin*", "alendronat*", "antipsykoti*", "benzodiazepin*", "sovemedicin*", "sovepille*", "nervepille*",
    "lykkepille*", "opioid*", "smertestillende", "psykofarmaka", "ritalin*", "Ritalin*", "concerta*",
    "Concerta*", "stesolid*", "Stesolid*", "cipralex*", "Cipralex*", "zoloft*", "Zoloft*",
    "truxal*", "Truxal*", "Abilify*", "ozempic*", "Ozempic*", "wegovy*", "Wegovy*", "kemoterapi*",
    "kemobehandling*", "kemo", "strålebehandling*", "dialyse*", "elektrochok*", "ECT",
    /* treatments and treatment places */
    "psykiatrisk afdeling*", "psykiatrisk skadestue", "psykiatrisk center", "psykiatrisk hospital",
    "psykiatrisk ambulatorium", "psykiatrisk indlæggelse", "psykiatrisk behandling", "psykiatrisk",
    "*psykiatri*", "psykiater*", "center for *behandling", "center for *misbrug", "center for rusmidler",
    "*behandlingscenter*", "misbrugscenter*", "rusmiddelcenter*", "rusmiddelbehandling*",
    "alkoholambulatori*", "alkoholbehandling*", "misbrugsbehandling*", "stofbehandling*",
    "substitutionsbehandling*", "antabusbehandling*", "metadonbehandling*", "psykoterapi*",
    "samtaleterapi*", "kognitiv terapi", "traumebehandling*", "traumecenter*", "smerteklinik*",
    "smertecenter*", "hospice*", "onkologisk afdeling", "kræftafdeling*", "neurologisk afdeling",
    "hjerneskadecenter*", "ptsd-behandling*", "stressklinik*", "afrusningsklinik*",
    NULL,
};

/* Words before a health term that belong to its span ("svær depression"). */
static const char *const health_modifiers[] = {
    "svær", "svære", "moderat", "moderate", "middelsvær", "middelsvære", "let", "lette", "kronisk",
    "kroniske", "akut", "akutte", "periodisk", "tilbagevendende", "paranoid", "alvorlig",
    "alvorlige", "behandlingskrævende", "langvarig", "langvarige", "generaliseret", "social",
    "sociale", "postnatal", "insulinkrævende", "fremskreden", "fremskredne", "uhelbredelig", NULL,
};

/* Words after a health term that belong to its span ("antidepressiv medicin"). */
static const char *const health_heads[] = {"medicin", "sygdom", "syndrom", "lidelse", NULL};

/* [ETNICITET]: ethnic origin: ethnic groups and nationality-of-origin words
 * (the majority "dansk" is not one). */
static const char *const lex_ethnic[] = {
    "etnisk*", "etnicitet*", "herkomst", "hudfarve*", "mørkhudet*", "sorthåret minoritet",
    "etnisk dansker*", "somalisk*", "somalier*", "tyrkisk*", "tyrker*", "kurd*", "arab*",
    "palæstinens*", "pakistansk*", "pakistaner*", "irakisk*", "iraker*", "iransk*", "iraner*",
    "afghansk*", "afghaner*", "syrer", "syrere", "syrisk*", "eritreisk*", "eritreer*", "etiopisk*",
    "etiopier*", "libanes*", "marokkan*", "bosnisk*", "bosnier*", "serbisk*", "albansk*", "albaner*",
    "kosovo-albaner*", "polsk*", "polak*", "rumænsk*", "rumæner*", "bulgarsk*", "bulgarer*",
    "litauisk*", "litauer*", "ukrainsk*", "ukrainer*", "russisk*", "tamil*", "vietnames*", "thailandsk*", "filippinsk*",
    "kinesisk*", "indisk*", "tibetan*", "grønlandsk*", "grønlænder*", "inuit*", "færøsk*",
    "roma", "romaer", "romani", "sigøjner*", "afrikansk*", "afrikaner*", "asiatisk*",
    "mellemøstlig*", "ikke-vestlig*", "indvandrerbaggrund", "anden etnisk baggrund", NULL,
};

/* Words after an ethnic term that belong to its span ("somalisk oprindelse"). */
static const char *const ethnic_heads[] = {
    "oprindelse", "baggrund", "herkomst", "afstamning", "minoritet", "familie", NULL,
};

/* [RELIGION] */
static const char *const lex_religion[] = {
    "muslim*", "islam*", "kristen", "kristne", "kristendom*", "jøde", "jøder", "jøderne", "jødisk*",
    "jødedom*", "hindu*", "buddhis*", "katolik*", "katolsk*", "protestant*", "ortodoks*", "sikh*",
    "moske*", "moské*", "synagoge*", "imam*", "rabbiner*", "folkekirke*", "frikirke*",
    "pinsemenighed*", "pinsekirke*", "Jehovas Vidne*", "jehovas vidne*", "scientolog*", "mormon*",
    "ateist*", "religiøs*", "religion*", "trosretning*", "trossamfund*", "konverteret", "konvertere*",
    "ramadan*", "fredagsbøn*", "bibelgruppe*", "menighed*", "kirkelig*", NULL,
};

/* [POLITIK]: parties, movements, opinion words. */
static const char *const lex_politics[] = {
    "Socialdemokratiet", "socialdemokrat*", "^Venstre", "Radikale Venstre", "Det Radikale Venstre",
    "Dansk Folkeparti", "Enhedslisten", "Socialistisk Folkeparti", "SF", "Det Konservative Folkeparti",
    "^Konservative", "Liberal Alliance", "Alternativet", "Nye Borgerlige", "Moderaterne",
    "Danmarksdemokraterne", "Kristendemokraterne", "Frie Grønne", "Stram Kurs", "Borgernes Parti",
    "Siumut", "Inuit Ataqatigiit", "partimedlem*", "partiforening*", "folketingskandidat*",
    "byrådskandidat*", "lokalpolitiker*", "politisk overbevisning", "politiske overbevisning",
    "politisk aktiv*", "politiske holdning*", "politisk holdning", "kommunist*", "nazist*", "nazisme",
    "nynazist*", "socialist*", "anarkist*", "venstreorienteret*", "højreorienteret*", "højreradikal*",
    "venstreradikal*", "højreekstrem*", "venstreekstrem*", "aktivist*", NULL,
};

/* [FAGFORENING]: unions and their words (A-kasser are not unions). */
static const char *const lex_union[] = {
    "3F", "FOA", "HK", "Dansk Metal", "Dansk El-Forbund", "El-Forbundet", "Krifa", "Det Faglige Hus",
    "Djøf", "DJØF", "Dansk Sygeplejeråd", "DSR", "BUPL", "Danmarks Lærerforening", "Socialpædagogerne",
    "Blik og Rør", "Serviceforbundet", "Fødevareforbundet NNF", "NNF", "Dansk Journalistforbund",
    "Ingeniørforeningen", "IDA", "Dansk Socialrådgiverforening",
    "Fagbevægelsens Hovedorganisation", "Kost & Ernæringsforbundet", "Teknisk Landsforbund",
    "Malerforbundet", "Dansk Frisør og Kosmetiker Forbund", "Fængselsforbundet", "Politiforbundet",
    "fagforening*", "fagforbund*", "fagligt medlem", "tillidsrepræsentant*", "tillidsmand*",
    "fællestillidsrepræsentant*", NULL,
};

/* [SEKSUALITET]: sexual orientation and sex life (gender identity too). */
static const char *const lex_sexuality[] = {
    "homoseksuel*", "biseksuel*", "heteroseksuel*", "panseksuel*", "aseksuel*", "lesbisk*", "lesbiske",
    "lesbianer*", "bøsse", "bøsser", "bøssen", "bøssepar*", "homo", "homofil*", "transkønne*",
    "transperson*", "LGBT*", "lgbt*", "LGBTQ*", "queer", "seksuel orientering", "seksuelle orientering",
    "seksualitet*", "kønsskifte*", "kønsidentitet*", "kønsmodificerende", "sexarbejde*",
    "prostitu*", "sexafhængig*", "samme køn", NULL,
};

/* [STRAF]: criminal offences, convictions, punishment (GDPR art. 10). */
static const char *const lex_crime[] = {
    "dømt*", "domfældt*", "dom for", "betinget dom", "ubetinget dom", "voldsdom*", "straffedom*",
    "fængsel*", "fængslet", "fængselsstraf*", "afsoning*", "afsoner", "afsonet", "afsone",
    "varetægt*", "tiltale*", "tiltalt", "sigtelse*", "sigtet", "anholdt", "anholdelse*",
    "straffeattest*", "strafferegister*", "kriminalregister*", "straffesag*", "straffelov*",
    "kriminel*", "*kriminalitet", "*kriminalitetsnævn*", "kriminalitet", "vold", "volden", "voldelig*", "voldsepisode*",
    "voldtægt*", "partnervold", "tyveri*", "butikstyveri*", "indbrud*", "røveri*", "drab*",
    "manddrab*", "bedrageri*", "socialt bedrageri", "hærværk*", "narkohandel*", "narkotikahandel*",
    "spirituskørsel*", "spritkørsel*", "trusler på livet", "trussel på livet", "hæleri*",
    "samfundstjeneste*", "fodlænke*", "prøveløslad*", "løsladt", "løsladelse*", "Kriminalforsorgen",
    "kriminalforsorg*", "bødestraf*", "ungdomssanktion*", "tilhold", "polititilhold",
    "politianmeld*", "politiafhør*", "afhørt af politiet", "euforiserende stoffer", "besiddelse af hash",
    "besiddelse af narko*", "idømt*", "idømmes",
    NULL,
};

#endif /* TALE_SPECIAL_DA_H */
