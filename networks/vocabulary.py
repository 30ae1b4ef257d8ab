"""The two vocabularies of PRODUCT.md. A network picks a preset and may override any term."""

PRESETS: dict[str, dict[str, str]] = {
    "icn": {
        "network": "integrated community network",
        "network_short": "ICN",
        "meeting": "huddle",
        "meetings": "huddles",
        "chair": "network facilitator",
    },
    "hub": {
        "network": "integrated hub",
        "network_short": "hub",
        "meeting": "virtual ward",
        "meetings": "virtual wards",
        "chair": "health and social care coordinator",
    },
}
TERMS = ("network", "network_short", "meeting", "meetings", "chair")
