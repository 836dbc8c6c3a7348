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
}
