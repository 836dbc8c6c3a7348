using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>Ping 127.0.0.1 from the ICMP page and see the lines and statistics appear.</summary>
public class IcmpLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Ping_localhost_and_see_iputils_lines_statistics_and_header_fields()
    {
        await Page.GotoAsync("/labs/icmp");
        await Expect(Page.GetByTestId("probe-panel").First).ToBeVisibleAsync(); // ping and traceroute
        await Expect(Page.Locator("[data-testid=probe-port]")).ToHaveCountAsync(0); // ICMP has no port
        await SetNumberAsync("probe-count", "3");
        await SetNumberAsync("probe-intervalMs", "300");

        await Page.GetByTestId("probe-run").First.ClickAsync();

        await Expect(Page.GetByTestId("ping-row").First).ToContainTextAsync("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=");
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("3 packets transmitted, 3 received, 0% packet loss");
        await Expect(Page.GetByTestId("ping-summary")).ToContainTextAsync("rtt min/avg/max/mdev =");

        await Page.GetByTestId("show-headers").ClickAsync();
        await Expect(Page.GetByTestId("hexview").First).ToContainTextAsync("0 (Echo Reply)");
        await Expect(Page.GetByTestId("hexview").First).ToContainTextAsync("TTL");
    }
}
