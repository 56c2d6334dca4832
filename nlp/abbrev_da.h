/* abbrev_da.h — the built-in Danish abbreviation list (lowercase, with the
 * final period).  Collected for tale from Danish style guides' common
 * abbreviations and the abbreviations seen in UD Danish-DDT train/dev.
 * Class: S = strong (rarely ends a sentence: "kl. 10", "f.eks. en"),
 *        W = weak (often ends one: "osv.", "kr."),
 *        C = context (also an ordinary word: "min.", "red."; merged only
 *            before a lowercase word or a digit). */
#ifndef NLP_ABBREV_DA_H
#define NLP_ABBREV_DA_H

#include <stddef.h>

static const char *const nlp_abbrev_da[] = {
    /* strong */
    "Shr.", "Sfr.", "Sfrk.", "Sdr.", "Smr.", "Smrs.", "Sms.", "Sprof.", "Sadv.", "Sdir.", "Sgen.",
    "Skapt.", "Sløjtn.", "Sobl.", "Spastor.", "Ssgt.", "Ssr.", "Sjr.", "Sst.", "Ssk.", "Scand.",
    "Smag.", "Sstud.", "Slic.", "Sdr.phil.", "Sdr.med.", "Sdr.jur.", "Sph.d.", "Sfhv.", "Stidl.",
    "Spolit.", "Sscient.", "Spsych.", "Spolyt.", "Stechn.", "Spol.", "Soecon.", "Smerc.", "Sarch.",
    "Sphil.", "Stheol.", "Sact.", "Sagro.", "Sbibl.", "Sf.eks.", "Sfx.", "Sbl.a.", "Sbla.", "Sjf.",
    "Sjfr.", "Sca.", "Sevt.", "Sdvs.", "Sd.v.s.", "Spga.", "Sp.g.a.", "Siflg.", "Shhv.", "Sinkl.",
    "Sekskl.", "Svedr.", "Sang.", "Satt.", "Sbtw.", "Sdss.", "Sflg.", "Sht.", "Sindb.", "Smht.",
    "Sm.h.t.", "Smbt.", "Sp.t.", "Spt.", "Ssmst.", "Ssml.", "Sjvf.", "Sa.", "Sb.", "Sd.", "Sf.",
    "Sfm.", "Sifm.", "Sjvnf.", "Sno.", "Snr.", "Snrs.", "Sstk.", "Skl.", "Spr.", "Sindt.", "Sopr.",
    "Sorig.", "Sp.", "Spp.", "Ss.", "Sbd.", "Sbdr.", "Sbl.", "Sm.a.", "Sm.h.", "Smh.", "Sa.s.",
    "Si/s.", "Sk/s.", "Samba.", "Sc/o.", "Sc.v.", "Scpr.", "Scpr.nr.", "Sreg.",
    "Sreg.nr.", "Skto.", "Skto.nr.", "Skonto.nr.", "Stlf.", "Stlf.nr.", "Spostnr.", "Sadr.",
    "Sfig.", "Safs.", "Spkt.", "Slitra.", "Sbekg.", "Sbkg.", "Scirk.", "Sj.nr.", "Sjnr.",
    "Ssagsnr.", "Sref.", "Sbem.", "Sdepl.", "Svejl.", "Sekspl.", "Seks.", "Sfork.", "Sforts.",
    "Shenv.", "Sinst.", "Skgl.", "Skgs.", "Skons.", "Sjun.", "Slign.", "Sspsk.", "Stsk.", "Spc.",
    "Shk.", "Sds.", "Sdiv.", "Salm.", "Sc.", "Se.", "Sg.", "Sh.", "Sj.", "Sk.", "Sm.", "Sn.", "So.",
    "Sq.", "Sr.", "Su.", "Sv.", "Sw.", "Sx.", "Sy.", "Sz.", "Sæ.", "Sø.", "St.h.", "St.v.", "Sdkr.",
    "Sinc.", "Sltd.", "Sco.", "Scorp.", "Schr.", "Svilh.", "Sjoh.", "Sfrdr.", "Swm.", "Sinstr.",
    "Smaks.", "Slic.-techn.", "Slic.-jur.", "Scand.-jur.", "Scand.-psych.", "Scand.-polyt.",
    "Scand.-scient.", "Scand.-merc.", "Sdr.-scient.-pol.", "Svind.", "Setagekvm.", "Scyl.", "Spos.",
    "Sjan.", "Sfeb.", "Smar.", "Sapr.", "Saug.", "Ssep.", "Ssept.", "Sokt.", "Snov.", "Sdec.",
    "Sman.", "Stirs.", "Sons.", "Stors.", "Slør.",
    "Skontonr.", "Stlf.nr.", "Stelefonnr.", "Smobilnr.", "Ssagsnr.", "Sjournalnr.", "Scpr.nr.", "Sregnr.",
    "Spersonnr.", "Skundenr.", "Sfakturanr.", "Sordrenr.", "Sløbenr.", "Sbilagsnr.",
    /* weak: units, amounts, list enders */
    "Wkr.", "Wpct.", "Wmio.", "Wmia.", "Wmill.", "Wmilj.", "Wkg.", "Wkm.", "Wcm.", "Wmm.", "Wkvm.",
    "Wm2.", "Wm3.", "Wtdr.", "Wgr.", "Wmg.", "Wml.", "Wcl.", "Wdl.", "Wltr.", "Wt.", "Wkm/t.",
    "Wo/m.", "Wosv.", "Wo.s.v.", "Wmv.", "Wm.v.", "Wm.fl.", "Wmfl.", "Wetc.", "Wm.m.", "Wo.l.",
    "Wo.lign.", "Wo.a.", "Wb.t.", "Wtv.", "Wth.", "Wgl.", "Wincl.", "Wff.",
    /* context */
    "Cmin.", "Csek.", "Cred.", "Cstr.", "Csal.", "Cårg.", "Cbind.", "Cside.", "Cnote.", "Cpunkt.",
    "Cforb.", "Cudg.", "Ctab.", "Clov.", "Cgade.", "Cbilag.", "Cmobil.", "Cfax.", "Cart.", "Ckap.",
    "Cha.", "Cmaj.",
    NULL,
};

#endif
