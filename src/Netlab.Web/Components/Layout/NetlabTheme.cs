using MudBlazor;

namespace Netlab.Web.Components.Layout;

/// <summary>The portal's look: system fonts (no web font can be fetched offline), and palettes whose app bars keep white text at over 4.5:1.</summary>
public static class NetlabTheme
{
    private static readonly string[] SystemFonts = ["system-ui", "-apple-system", "Segoe UI", "Roboto", "Noto Sans", "Liberation Sans", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#3949ab",       // indigo 600: 7.0:1 against white
            AppbarBackground = "#283593",
            AppbarText = "#ffffff",
            Secondary = "#00796b",
            Background = "#f5f6fa",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#9fa8da",
            AppbarBackground = "#1a1d2e",
            AppbarText = "#ffffff",
            Secondary = "#80cbc4",
            Background = "#121420",
            Surface = "#1d2030",
            DrawerBackground = "#181b29",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = SystemFonts },
            H4 = new H4Typography { FontFamily = SystemFonts, FontSize = "1.9rem", FontWeight = "500" },
            H6 = new H6Typography { FontFamily = SystemFonts, FontSize = "1.15rem", FontWeight = "500" },
        },
    };
}
