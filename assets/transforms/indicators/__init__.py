"""Building blocks of the indicator stage: the long format (common), trade tables (trade_base) and formulas.

The public entry points are assets.transforms.trade_indicators, va_indicators and indicator_panel.
"""
