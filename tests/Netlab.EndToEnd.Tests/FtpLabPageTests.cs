using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The FTP lab as a student sees it: start the server, connect the console, ls, get, see both channels.</summary>
public class FtpLabPageTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task Connect_the_console_list_and_get_a_file_and_see_the_control_and_data_transcripts()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/labs/ftp");
        await page.GetByTestId("server-start").ClickAsync();
        await Expect(page.GetByTestId("server-state")).ToContainTextAsync("Running on 127.0.0.1:");
        var port = (await page.GetByTestId("server-state").TextContentAsync())!.Split(':').Last().Trim();

        async Task TypeAsync(string line)
        {
            await page.GetByTestId("ftp-command").FillAsync(line);
            await page.GetByTestId("ftp-command").PressAsync("Enter");
        }

        var output = page.GetByTestId("ftp-output");
        await TypeAsync($"connect 127.0.0.1 {port}");
        await Expect(output).ToContainTextAsync("OK Connection established");
        await TypeAsync("ls");
        await Expect(output).ToContainTextAsync("OK List contents of remote dir");
        await Expect(output).ToContainTextAsync("readme.txt");
        await TypeAsync("get readme.txt");
        await Expect(output).ToContainTextAsync("OK GET: 'readme.txt'");

        // Control: the commands and replies; data: the active-mode connection and the listing.
        await Expect(page.GetByTestId("ftp-control")).ToContainTextAsync("> PORT 127,0,0,1,");
        await Expect(page.GetByTestId("ftp-control")).ToContainTextAsync("< 226");
        await Expect(page.GetByTestId("ftp-data")).ToContainTextAsync("(active)");
        await Expect(page.GetByTestId("ftp-data")).ToContainTextAsync("readme.txt");
        // The file is now in the scratch folder, listed on the page.
        await Expect(page.GetByTestId("ftp-scratch-row").Filter(new() { HasText = "readme.txt" })).ToHaveCountAsync(1);
        // And the server saw the transfer.
        await Expect(page.GetByTestId("server-log")).ToContainTextAsync("active download");
    }
}
