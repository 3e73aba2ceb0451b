"""The labelling app's entry: `annotator app` runs this file (`streamlit run app.py` in a checkout calls `main`).

Only routes; each page lives beside it. The store and the model come from ANNOTATOR_DB and ANNOTATOR_MODEL
(see annotator/config.py). Pages are named by absolute path, so the app runs the same from a checkout or a wheel.
"""

from pathlib import Path

import streamlit as st

from annotator.ui import common

PAGES = Path(__file__).resolve().parent


def main() -> None:
    st.set_page_config(page_title="annotator", layout="wide")
    page = st.navigation(
        [
            st.Page(PAGES / "label_page.py", title="Label", default=True),  # served at /
            st.Page(PAGES / "import_page.py", title="Import", url_path="import"),
            st.Page(PAGES / "highlight_page.py", title="Highlight", url_path="highlight"),
            st.Page(PAGES / "model_page.py", title="Model", url_path="model"),
            st.Page(PAGES / "review_page.py", title="Review", url_path="review"),
            st.Page(PAGES / "agreement_page.py", title="Agreement", url_path="agreement"),
            st.Page(PAGES / "team_page.py", title="Team", url_path="team"),
        ]
    )
    common.reviewer_input()
    page.run()


if __name__ == "__main__":
    main()
