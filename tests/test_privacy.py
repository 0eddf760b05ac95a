import pandas as pd

from qaworkbench import mask_id, masked, pseudonym
from qaworkbench.privacy import find_unmasked, mask_text, pseudonym_series


def test_mask_phone_numbers_and_short_ids():
    assert mask_id("13812345678") == "138****5678"
    assert mask_id("008613812345678") == "008********5678"
    assert mask_id("A12") == "*12"
    assert mask_id(None) is None


def test_pseudonym_is_stable_keyed_and_not_the_number():
    a = pseudonym("13812345678", key=b"k1")
    assert a == pseudonym("13812345678", key=b"k1")
    assert a != pseudonym("13812345678", key=b"k2")
    assert "13812345678" not in a and len(a) == 17
    s = pseudonym_series(pd.Series(["13812345678", None, "13812345678"]), key=b"k1")
    assert s.iloc[0] == a and pd.isna(s.iloc[1]) and s.iloc[2] == a


def test_masked_frame_and_free_text():
    df = pd.DataFrame(
        {"customer_id": ["13812345678", None], "comment": ["客户13912345678来电", None]}
    )
    out = masked(df)
    assert out["customer_id"].tolist()[0] == "138****5678" and pd.isna(out["customer_id"].iloc[1])
    assert out["comment"].iloc[0] == "客户139****5678来电"
    assert df["customer_id"].iloc[0] == "13812345678"  # the input is not changed
    assert find_unmasked(out.to_html()) == []
    assert find_unmasked(df.to_html()) == ["13812345678", "13912345678"]


def test_mask_text_leaves_longer_numbers_alone():
    assert mask_text("工单 202605011381234567890") == "工单 202605011381234567890"


def test_digits_inside_a_machine_id_are_not_a_phone_number():
    """A dashboard page failed its privacy check once: a random id on the page held
    11 digits in a row. UUIDs and 32-hex ids are skipped; a number beside them is not."""
    page = (
        'kernel "7ed2008b-282f-479b-91a7-a15444201926" model 0f3c15444201926e8d1b2c3d4e5f6a7b '
        "客户13812345678 7ed2008b-282f-479b-91a7-17ee86b75056"
    )
    assert find_unmasked(page) == ["13812345678"]
    assert find_unmasked("a15444201926") == ["15444201926"]  # not an id: still caught
