"""The back office in French and English: the pages are written in English, and
this is their French. The language is the `lang` cookie, else the browser's."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["LANGUAGES", "language", "translator"]

LANGUAGES = ("fr", "en")

FR: dict[str, str] = {
    "Back office": "Back-office",
    "Articles": "Articles",
    "Cashiers and managers": "Caissiers et responsables",
    "Cashiers": "Caissiers",
    "Tills": "Caisses",
    "Printers": "Imprimantes",
    "Reports": "Rapports",
    "Journal": "Journal",
    "Log in": "Se connecter",
    "Log out": "Se déconnecter",
    "Manager id": "Identifiant du responsable",
    "PIN or password": "Code PIN ou mot de passe",
    "Unknown manager or wrong PIN.": "Responsable inconnu ou code erroné.",
    "Too many wrong attempts: try again in {s} s.": "Trop d'essais erronés : réessayez dans {s} s.",
    "Your session has expired, or the form is stale: log in again.": (
        "Votre session a expiré, ou le formulaire est périmé : reconnectez-vous."
    ),
    "Search (name, id or barcode)": "Rechercher (nom, référence ou code-barres)",
    "Search": "Rechercher",
    "New article": "Nouvel article",
    "Import CSV": "Importer un CSV",
    "Export CSV": "Exporter en CSV",
    "Name": "Nom",
    "Price": "Prix",
    "VAT": "TVA",
    "Category": "Catégorie",
    "Barcodes": "Codes-barres",
    "Till page": "Page de caisse",
    "Button colour": "Couleur du bouton",
    "none": "aucune",
    "Save": "Enregistrer",
    "Till rules": "Règles de caisse",
    "Above these, the till asks for a manager's PIN. Leave a field empty: never asked.": (
        "Au-delà, la caisse demande le code d'un responsable. Champ vide : jamais demandé."
    ),
    "A cancel after a payment always needs a manager.": (
        "Une annulation après un paiement demande toujours un responsable."
    ),
    "Discount above (%)": "Remise au-delà de (%)",
    "Discount above (€)": "Remise au-delà de (€)",
    "Price lowered by more than (€)": "Prix baissé de plus de (€)",
    "Void of a line above (€)": "Annulation d'une ligne au-delà de (€)",
    "Cancel of a sale above (€)": "Annulation d'une vente au-delà de (€)",
    "Wrong PINs before the till waits": "Codes erronés avant que la caisse n'attende",
    "First wait (seconds, doubling)": "Première attente (secondes, doublée ensuite)",
    "Log in with the PIN alone": "Connexion avec le seul code",
    "Card payments wait for the terminal's answer": (
        "Les paiements par carte attendent la réponse du terminal"
    ),
    "Archive": "Archiver",
    "Archived": "Archivé",
    "Edit": "Modifier",
    "Page": "Page",
    "of": "sur",
    "previous": "précédente",
    "next": "suivante",
    "{n} articles": "{n} articles",
    "Article id (empty: one is made)": "Référence (vide : attribuée automatiquement)",
    "one a line": "un par ligne",
    "Saved. The tills have it within seconds.": (
        "Enregistré. Les caisses l'ont en quelques secondes."
    ),
    "Archived: no longer sold, its barcodes freed.": (
        "Archivé : plus en vente, ses codes-barres sont libérés."
    ),
    "CSV file": "Fichier CSV",
    "Check and import": "Vérifier et importer",
    "Nothing was imported: correct these lines and send the file again.": (
        "Rien n'a été importé : corrigez ces lignes et renvoyez le fichier."
    ),
    "Imported: {created} created, {updated} updated, {barcodes} barcodes.": (
        "Importé : {created} créés, {updated} modifiés, {barcodes} codes-barres."
    ),
    "Line": "Ligne",
    "Error": "Erreur",
    "Columns": "Colonnes",
    "Id": "Identifiant",
    "Role": "Rôle",
    "cashier": "caissier",
    "manager": "responsable",
    "Active": "Actif",
    "Disabled": "Désactivé",
    "Disable": "Désactiver",
    "Enable": "Réactiver",
    "New PIN": "Nouveau code PIN",
    "Change PIN": "Changer le code",
    "Create": "Créer",
    "PIN (4 to 8 digits)": "Code PIN (4 à 8 chiffres)",
    "Back-office password": "Mot de passe du back-office",
    "Set password": "Définir le mot de passe",
    "password set": "mot de passe défini",
    "Status": "État",
    "online": "en ligne",
    "autonomous": "autonome",
    "unseen since {t}": "pas vue depuis {t}",
    "never seen": "jamais vue",
    "revoked": "révoquée",
    "Revoke": "Révoquer",
    "Last seq received": "Dernier ticket reçu",
    "Pending": "En attente",
    "Clock offset": "Décalage d'horloge",
    "Version": "Version",
    "Catalogue": "Catalogue",
    "New enrolment code": "Nouveau code d'enrôlement",
    "Till name": "Nom de la caisse",
    "Enrolment code": "Code d'enrôlement",
    "valid 24 hours, once": "valable 24 heures, une fois",
    "Certificate fingerprint": "Empreinte du certificat",
    "On the till: autonome till enroll --code CODE --fingerprint FINGERPRINT": (
        "Sur la caisse : autonome till enroll --code CODE --fingerprint EMPREINTE"
    ),
    "Health": "État",
    "ok": "ok",
    "down": "en panne",
    "unknown": "inconnu",
    "Waiting": "En attente",
    "Recent jobs": "Derniers bons",
    "Reprint": "Réimprimer",
    "Job": "Bon",
    "Till": "Caisse",
    "Created": "Créé",
    "Day": "Jour",
    "Show": "Afficher",
    "X report (live)": "Rapport X (en cours)",
    "Z report": "Rapport Z",
    "Close the day (Z)": "Clôturer la journée (Z)",
    "Download CSV": "Télécharger en CSV",
    "Sales": "Ventes",
    "Total": "Total",
    "Payments": "Paiements",
    "Per till": "Par caisse",
    "Per VAT rate": "Par taux de TVA",
    "Net": "HT",
    "Gross": "TTC",
    "Sales per hour": "Ventes par heure",
    "Journal chain check": "Contrôle du chaînage du journal",
    "Chain intact: {n} sales of {t} tills checked.": (
        "Chaînage intact : {n} ventes de {t} caisses vérifiées."
    ),
    "Chain broken": "Chaînage rompu",
    "Still pending on tills": "Encore en attente sur les caisses",
    "Ticket number": "Numéro de ticket",
    "Time": "Heure",
    "Mode": "Mode",
    "Conflicts": "Conflits",
    "Quarantined records": "Enregistrements en quarantaine",
    "What to do": "Que faire",
    "Reason": "Motif",
    "none.": "aucun.",
    "Sale": "Vente",
    "A till sent another sale with the same id or number: keep the one in the journal, "
    "and check the till's clock and its data folder (was it restored from a copy?).": (
        "Une caisse a envoyé une autre vente avec le même identifiant ou numéro : la vente "
        "du journal fait foi ; vérifiez l'horloge et le dossier de données de la caisse "
        "(a-t-elle été restaurée d'une copie ?)."
    ),
    "The record could not be read as a sale: it is kept as it came; have the till "
    "checked, then ring up the sale again if the customer paid.": (
        "L'enregistrement n'a pas pu être lu comme une vente : il est gardé tel quel ; "
        "faites vérifier la caisse, puis ressaisissez la vente si le client a payé."
    ),
    "Closed Z {n} for {d}.": "Z n° {n} clôturé pour le {d}.",
    "Articles saved here reach every online till within seconds.": (
        "Les articles enregistrés ici arrivent sur chaque caisse en ligne en quelques secondes."
    ),
    "Disabled cashiers cannot log in on any till.": (
        "Un caissier désactivé ne peut plus se connecter sur aucune caisse."
    ),
    "Show archived": "Afficher les archivés",
    "Restore": "Rétablir",
    "cash": "espèces",
    "cash float": "Fond de caisse",
    "cash in": "Entrée d'espèces",
    "cash out": "Sortie d'espèces",
    "cash count": "Comptage de caisse",
    "expected": "attendu",
}


def language(cookie: str | None, accept: str | None) -> str:
    if cookie in LANGUAGES:
        return str(cookie)
    return "fr" if (accept or "").lower().startswith("fr") else "en"


def translator(lang: str) -> Callable[..., str]:
    table = FR if lang == "fr" else {}

    def t(text: str, **kw: object) -> str:
        out = table.get(text, text)
        return out.format(**kw) if kw else out

    return t
