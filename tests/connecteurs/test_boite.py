"""``boite``: nothing to push; the worker skips it, and a stray call harms nothing."""

from __future__ import annotations

import pytest

from connecteurs.base import Consultation
from connecteurs.boite import DETAIL_BOITE, creer
from connecteurs.erreurs import ConsultationImpossible
from tests.connecteurs.outils import contexte, message


@pytest.fixture
def boite(cle_passerelle, horloge):
    return creer(contexte({}, cle=cle_passerelle, horloge=horloge))


async def test_boite_ne_pousse_pas(boite):
    assert boite.pousse is False
    assert boite.nom == "boite"


async def test_livrer_rend_un_echec_non_definitif_par_message(boite):
    remises = await boite.livrer([message(), message()])
    assert len(remises) == 2
    for remise in remises:
        assert remise.livre is False and remise.definitif is False
        assert remise.detail == DETAIL_BOITE


async def test_consultation_non_prise_en_charge(boite):
    with pytest.raises(ConsultationImpossible) as erreur:
        await boite.consulter(Consultation("etat-dossier", "caf-042", "carsat-ra", {}))
    assert erreur.value.code == "consultation_non_prise_en_charge"
    assert erreur.value.temporaire is False


async def test_sante_et_fermeture(boite):
    assert (await boite.sante()).disponible is True
    await boite.fermer()
