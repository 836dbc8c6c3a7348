using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>What a student sees: start the server, run the probe, watch results arrive live.</summary>
public class UdpPingLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Start_the_server_run_the_probe_and_see_rows_chart_and_summary_fill_in_live()
    {
        await OpenLabAsync("udp-ping");
        var port = await StartServerAsync();
        // The probe's target is prefilled with the running server.
        await Expect(Field("probe-port")).ToHaveValueAsync(port.ToString());

        await SetNumberAsync("probe-timeoutMs", "300");
        await SetNumberAsync("probe-intervalMs", "300");
        await Expect(Field("probe-intervalMs")).ToHaveValueAsync("300");
        // Every row count the table goes through, as the page renders it.
        await Page.EvaluateAsync("""
            () => {
              window.netlabRowCounts = [];
              new MutationObserver(() => window.netlabRowCounts.push(document.querySelectorAll('[data-testid=ping-row]').length))
                .observe(document.body, { childList: true, subtree: true });
            }
            """);
        await Page.GetByTestId("probe-run").ClickAsync();

        var rows = Page.GetByTestId("ping-row");
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("10 packets transmitted");
        await Expect(Page.GetByTestId("ping-progress-text")).ToContainTextAsync("10 of 10 pings");
        // Rows arrived while the run was going: the page showed some of them before the tenth.
        var counts = await Page.EvaluateAsync<int[]>("() => window.netlabRowCounts");
        Assert.True(counts.Any(c => c is > 0 and < 10), $"row counts seen: {string.Join(",", counts.Distinct())}");

        var summary = await Page.GetByTestId("ping-summary").InnerTextAsync();
        var received = int.Parse(Regex.Match(summary, @"(\d+) received").Groups[1].Value);
        Assert.Matches(@"10 packets transmitted, \d+ received, \d+(\.\d+)?% packet loss", summary);
        if (received > 0)
            Assert.Matches(@"rtt min/avg/max/mdev = \d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3}/\d+\.\d{3} ms", summary);
        var rowCount = await rows.CountAsync();
        Assert.True(rowCount >= 10, $"{rowCount} rows");
        var timedOut = await Page.Locator("[data-testid=ping-row]:has-text('Request timed out')").CountAsync();
        Assert.True(10 - received == timedOut, $"{timedOut} rows say timed out; the summary says {summary}");
        // The chart drew the replies.
        Assert.True(await Page.Locator("[data-testid=ping-chart] svg path").CountAsync() > 0);
        // The server panel showed each datagram it saw.
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync(received < 10 ? "DROPPED" : "echoed");

        // The run is on the Runs page, and opening it replays the same results from the store.
        await Page.GetByTestId("run-link").ClickAsync();
        await Expect(Page.GetByTestId("run-status")).ToContainTextAsync("Succeeded");
        await Expect(Page.GetByTestId("ping-summary")).ToHaveTextAsync(summary);
        await Expect(Page.GetByTestId("ping-row")).ToHaveCountAsync(rowCount);

        await Page.GotoAsync("/runs");
        var row = Page.GetByTestId("runs-grid").Locator("tr").Filter(new() { HasText = $"127.0.0.1:{port}" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("udp-ping");
        await Expect(row).ToContainTextAsync("Succeeded");
    }

    [Fact]
    public async Task A_target_that_is_not_allowed_is_explained_in_a_notification()
    {
        await Page.GotoAsync("/labs/udp-ping");
        var host = Page.Locator("[data-testid=probe-host]");
        await host.FillAsync("192.0.2.10");
        await host.PressAsync("Tab");

        await Page.GetByTestId("probe-run").ClickAsync();

        await Expect(Page.Locator(".mud-snackbar")).ToContainTextAsync("192.0.2.10 is not one of them");
        await Expect(Page.GetByTestId("ping-results")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_runs_page_lists_a_run_started_elsewhere_without_reloading()
    {
        await Page.GotoAsync("/runs");
        await Expect(Page.GetByTestId("runs-grid")).ToBeVisibleAsync();

        // Started through the API while the page is open, against a port where nothing answers.
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)silent.LocalEndPoint!).Port;
        var response = await Api.PostAsJsonAsync("/api/runs",
            new { probe = "udp-ping", target = new { host = "127.0.0.1", port }, options = new { count = 2, timeoutMs = 50 } });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var row = Page.GetByTestId("runs-grid").Locator("tr").Filter(new() { HasText = $"127.0.0.1:{port}" });
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToContainTextAsync("100% packet loss");
    }

    [Fact]
    public async Task A_long_runs_chart_shows_which_stretch_the_tables_page_holds_and_a_click_turns_the_page()
    {
        var server = await (await Api.PostAsJsonAsync("/api/servers", new { lab = "udp-ping", port = 0, options = new { lossRate = 0.1, seed = 3 } }))
            .Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();
        var run = await (await Api.PostAsJsonAsync("/api/runs", new { probe = "udp-ping", target = new { host = "127.0.0.1", port = (int)server!["port"]! },
            options = new { count = 130, intervalMs = 0, timeoutMs = 50 } })).Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>();

        await Page.GotoAsync($"/runs/{run!["id"]}");
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("130 packets transmitted");
        var firstSeq = Page.GetByTestId("ping-row").First.Locator("td").First;
        await Expect(firstSeq).ToHaveTextAsync("1");
        // Three pages of 50: the chart marks the first one and offers the other two.
        await Expect(Page.GetByTestId("chart-window")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("chart-page")).ToHaveCountAsync(2);
        await Expect(Page.GetByTestId("chart-window").Locator("title")).ToHaveTextAsync(new Regex(@"^seq 1–\d+: page 1 of the table$"));

        var last = Page.GetByTestId("chart-page").Last;
        var stretch = Regex.Match((await last.Locator("title").TextContentAsync())!, @"^seq (\d+)–(\d+): page 3 of the table$");
        Assert.True(stretch.Success, await last.Locator("title").TextContentAsync());
        await last.DispatchEventAsync("click");
        await Expect(Page.GetByTestId("chart-window").Locator("title")).ToHaveTextAsync(stretch.Value);
        // The table turned to that page: its rows are the pings of that stretch.
        await Expect(Page.Locator(".mud-pagination .mud-pagination-item-selected")).ToHaveTextAsync("3");
        var seqs = await Page.GetByTestId("ping-row").Locator("td:first-child").AllTextContentsAsync();
        Assert.All(seqs, seq => Assert.InRange(int.Parse(seq), int.Parse(stretch.Groups[1].Value), int.Parse(stretch.Groups[2].Value)));
    }
}
