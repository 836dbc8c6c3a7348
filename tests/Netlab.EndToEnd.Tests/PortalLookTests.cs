using System.Text.RegularExpressions;
using Netlab.Web.Labs;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>What the portal looks like to a person: small screens, dark mode, forms that say what is wrong, a real 404.</summary>
public partial class PortalLookTests(PortalFixture fixture) : BrowserTest(fixture)
{
    public static TheoryData<string> Pages() => [.. new[] { "/", "/runs" }.Concat(LabModules.All.Select(m => m.Path))];

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task At_800_pixels_no_page_scrolls_sideways_and_the_menu_is_a_button(string path)
    {
        await Page.SetViewportSizeAsync(800, 900);
        await Page.GotoAsync(path);
        await Expect(Page.Locator("h1")).ToBeVisibleAsync();
        var (scroll, client) = await WidthsAsync();
        Assert.True(scroll <= client, $"{path} is {scroll} px wide in an {client} px window");
        // The drawer is folded away (once MudBlazor has measured the window); the menu button opens it.
        await Expect(Page.Locator(".mud-drawer")).ToHaveClassAsync(new Regex("mud-drawer--closed"));
        await Expect(Page.Locator(".mud-drawer").GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Runs", Exact = true })).Not.ToBeInViewportAsync();
        await Page.GetByTestId("nav-toggle").ClickAsync();
        await Expect(Page.Locator(".mud-drawer").GetByRole(Microsoft.Playwright.AriaRole.Link, new() { Name = "Runs", Exact = true })).ToBeInViewportAsync();
    }

    [Fact]
    public async Task A_lab_page_with_a_server_and_a_run_still_fits_in_800_pixels()
    {
        await Page.SetViewportSizeAsync(800, 900);
        await OpenLabAsync("udp-ping");
        await StartServerAsync();
        await SetNumberAsync("probe-count", "3");
        await Page.GetByTestId("probe-run").ClickAsync();
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("3 packets transmitted");
        var (scroll, client) = await WidthsAsync();
        Assert.True(scroll <= client, $"the page is {scroll} px wide in an {client} px window");
    }

    [Fact]
    public async Task Dark_mode_follows_the_system_and_the_toggle_is_remembered()
    {
        await Page.EmulateMediaAsync(new() { ColorScheme = Microsoft.Playwright.ColorScheme.Dark });
        await Page.GotoAsync("/");
        await Expect(Page.Locator("h1")).ToBeVisibleAsync();
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(18, 20, 32)");

        // Chosen light with the toggle: light now, and still light after a reload (the system says dark).
        await Page.GetByTestId("theme-toggle").ClickAsync();
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(245, 246, 250)");
        await Page.ReloadAsync();
        await Expect(Page.Locator("h1")).ToBeVisibleAsync();
        await Expect(Page.Locator("body")).ToHaveCSSAsync("background-color", "rgb(245, 246, 250)");
    }

    [Fact]
    public async Task An_invalid_count_is_shown_under_its_field_with_the_APIs_words_and_Run_waits()
    {
        await OpenLabAsync("udp-ping");
        var run = Page.GetByTestId("probe-run");
        await Expect(run).ToBeEnabledAsync();

        await SetNumberAsync("probe-count", "0");
        // The same words the API answers to {"count": 0}.
        await Expect(Page.Locator(".mud-input-control").Filter(new() { Has = Field("probe-count") })).ToContainTextAsync("The field count must be between 1 and 10000.");
        await Expect(run).ToBeDisabledAsync();

        await SetNumberAsync("probe-port", "99999");
        await Expect(Page.Locator(".mud-input-control").Filter(new() { Has = Field("probe-port") })).ToContainTextAsync("target.port must be between 1 and 65535 (got 99999).");

        await SetNumberAsync("probe-count", "3");
        await SetNumberAsync("probe-port", "9");
        await Expect(run).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Enter_in_a_probe_field_runs_the_probe()
    {
        await OpenLabAsync("udp-ping");
        await StartServerAsync();
        await SetNumberAsync("probe-count", "2");
        await Field("probe-count").PressAsync("Enter");
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("2 packets transmitted");
    }

    [Fact]
    public async Task The_FTP_script_is_several_lines_and_each_runs_as_a_command()
    {
        await OpenLabAsync("ftp");
        await StartServerAsync();
        var script = Field("probe-commands");
        await script.FillAsync("pwd\nls\nget readme.txt");
        await Page.GetByTestId("probe-run").ClickAsync();
        var run = Page.GetByTestId("run-card");
        await Expect(run.GetByTestId("run-summary")).ToContainTextAsync("ftp> get readme.txt");
        var lines = await run.Locator(".log-lines .line").AllInnerTextsAsync();
        Assert.Equal(["ftp> pwd", "ftp> ls", "ftp> get readme.txt"], lines.Where(l => l.StartsWith("ftp> ") && !l.Contains("connect") && l != "ftp> bye"));
    }

    [Fact]
    public async Task Unknown_addresses_show_the_portals_not_found_page()
    {
        foreach (var path in new[] { "/labs/nope", "/runs/not-a-guid" })
        {
            var response = await Page.GotoAsync(path);
            Assert.Equal(404, response!.Status);
            await Expect(Page.GetByTestId("not-found")).ToContainTextAsync("There is nothing at this address.");
        }
        // The API keeps answering ProblemDetails.
        var api = await Page.GotoAsync("/api/nope");
        Assert.Contains("application/problem+json", api!.Headers["content-type"]);
    }

    [Fact]
    public async Task The_server_log_reads_in_time_order_request_before_response()
    {
        await OpenLabAsync("http");
        await Page.GetByTestId("server-transcript").ClickAsync();
        await StartServerAsync();
        await Page.GetByTestId("probe-run").First.ClickAsync();
        var log = Page.GetByTestId("server-log");
        await Expect(log).ToContainTextAsync("\"GET /HelloWorld.html\" 200");
        var lines = await log.Locator(".line").AllInnerTextsAsync();
        var times = lines.Select(l => Time().Match(l).Value).ToList();
        Assert.Equal(times.Order(StringComparer.Ordinal), times);
        var request = lines.ToList().FindIndex(l => l.Contains("> GET /HelloWorld.html"));
        var response = lines.ToList().FindIndex(l => l.Contains("< HTTP/1.1 200 OK"));
        Assert.InRange(request, 0, response - 1);
    }

    private async Task<(int Scroll, int Client)> WidthsAsync()
    {
        var widths = await Page.EvaluateAsync<int[]>("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]");
        return (widths[0], widths[1]);
    }

    [GeneratedRegex(@"^\d\d:\d\d:\d\d\.\d{3}")]
    private static partial Regex Time();
}
