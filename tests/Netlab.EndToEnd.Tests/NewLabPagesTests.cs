using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The time, echo, port-scan and tcp-console pages as a student uses them: start, run, watch results arrive.</summary>
public class NewLabPagesTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Time_start_a_server_with_an_offset_run_the_client_and_see_the_estimates_and_the_correction()
    {
        await OpenLabAsync("time");
        await SetNumberAsync("server-offsetMs", "1500");
        var port = await StartServerAsync();
        await Expect(Field("probe-port")).ToHaveValueAsync(port.ToString());
        await SetNumberAsync("probe-count", "5");
        await SetNumberAsync("probe-intervalMs", "50");
        await Page.GetByTestId("probe-run").ClickAsync();

        await Expect(Page.GetByTestId("time-row")).ToHaveCountAsync(5);
        await Expect(Page.Locator("[data-testid=time-row].best")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("time-best-point")).ToHaveCountAsync(1);
        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("correction (not applied): set the local clock forward by 1");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("\"reqtime\" ->");
    }

    [Fact]
    public async Task Echo_start_a_chunking_greeting_server_run_the_client_and_see_each_recv()
    {
        await OpenLabAsync("echo");
        await Field("server-greeting").FillAsync("You are connected");
        await SetNumberAsync("server-chunkBytes", "2");
        await StartServerAsync();
        await Field("probe-lines").FillAsync("hello");
        await Page.GetByTestId("probe-run").ClickAsync();

        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("1 lines sent");
        await Expect(Page.GetByTestId("echo-chunks")).ToContainTextAsync("You are connected");
        // "hello\n" in writes of 2 bytes: more than one recv() after line 1.
        var afterLine = await Page.Locator("[data-testid=echo-chunk]:has-text('line 1')").CountAsync();
        Assert.True(afterLine >= 2, $"{afterLine} recv()s after line 1");
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("in 3 writes");
    }

    [Fact]
    public async Task Port_scan_finds_the_port_the_test_opened_and_fills_in_progress()
    {
        using var listener = new Socket(SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        await Page.GotoAsync("/labs/port-scan");
        await SetNumberAsync("probe-fromPort", (port - 5).ToString());
        await SetNumberAsync("probe-toPort", (port + 5).ToString());
        await Page.GetByTestId("probe-run").ClickAsync();

        await Expect(Page.GetByTestId("scan-progress-text")).ToContainTextAsync("11 of 11 ports");
        await Expect(Page.GetByTestId("scan-table")).ToContainTextAsync($"{port}/tcp");
        await Expect(Page.GetByTestId("run-summary")).ToContainTextAsync("open");
    }

    [Fact]
    public async Task Tcp_console_talks_to_the_echo_server_by_hand()
    {
        var started = await Api.PostAsync("/api/servers", System.Net.Http.Json.JsonContent.Create(new { lab = "echo", port = 0, options = new { uppercase = true } }));
        var server = (await started.Content.ReadFromJsonAsync<System.Text.Json.Nodes.JsonObject>())!;
        try
        {
            await Page.GotoAsync("/labs/tcp-console");
            await Field("tcp-console-port").FillAsync(((int)server["port"]!).ToString());
            await Page.GetByTestId("tcp-console-connect").ClickAsync();
            await Expect(Page.GetByTestId("tcp-console-state")).ToContainTextAsync("Connected");
            await Page.GetByTestId("tcp-console-input").FillAsync("hello there");
            await Page.GetByTestId("tcp-console-input").PressAsync("Enter");
            await Expect(Page.GetByTestId("tcp-console-transcript")).ToContainTextAsync("> hello there");
            await Expect(Page.GetByTestId("tcp-console-transcript")).ToContainTextAsync("< HELLO THERE");
            await Page.GetByTestId("tcp-console-close").ClickAsync();
            await Expect(Page.GetByTestId("tcp-console-connect")).ToBeVisibleAsync();
        }
        finally
        {
            await Api.DeleteAsync($"/api/servers/{server["id"]}");
        }
    }
}
