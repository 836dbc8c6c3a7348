using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>Ping 127.0.0.1 from the ICMP page and see the lines and statistics appear.</summary>
public class IcmpLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Ping_localhost_and_see_iputils_lines_statistics_and_header_fields()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/icmp");
        await Expect(page.Locator("[data-testid=probe-port]")).ToHaveCountAsync(0); // ICMP has no port
        var count = page.Locator("[data-testid=probe-count] input").First;
        await count.FillAsync("3");
        await count.PressAsync("Tab");
        var interval = page.Locator("[data-testid=probe-intervalMs] input").First;
        await interval.FillAsync("300");
        await interval.PressAsync("Tab");

        await page.GetByTestId("probe-run").First.ClickAsync();

        await Expect(page.GetByTestId("ping-row").First).ToContainTextAsync("64 bytes from 127.0.0.1: icmp_seq=1 ttl=64 time=");
        await Expect(page.GetByTestId("ping-summary")).ToContainTextAsync("3 packets transmitted, 3 received, 0% packet loss");
        await Expect(page.GetByTestId("ping-summary")).ToContainTextAsync("rtt min/avg/max/mdev =");

        await page.GetByTestId("show-headers").ClickAsync();
        await Expect(page.GetByTestId("hexview").First).ToContainTextAsync("0 (Echo Reply)");
        await Expect(page.GetByTestId("hexview").First).ToContainTextAsync("TTL");
    }
}
