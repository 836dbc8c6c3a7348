using static Microsoft.Playwright.Assertions;

namespace Netlab.EndToEnd.Tests;

/// <summary>The FTP lab as a student sees it: start the server, connect the console, ls, get, see both channels.</summary>
public class FtpLabPageTests(PortalFixture fixture) : BrowserTest(fixture)
{
    [Fact]
    public async Task Connect_the_console_list_and_get_a_file_and_see_the_control_and_data_transcripts()
    {
        await OpenLabAsync("ftp");
        var port = await StartServerAsync();

        async Task TypeAsync(string line)
        {
            await Page.GetByTestId("ftp-command").FillAsync(line);
            await Page.GetByTestId("ftp-command").PressAsync("Enter");
        }

        var output = Page.GetByTestId("ftp-output");
        await TypeAsync($"connect 127.0.0.1 {port}");
        await Expect(output).ToContainTextAsync("OK Connection established");
        await TypeAsync("ls");
        await Expect(output).ToContainTextAsync("OK List contents of remote dir");
        await Expect(output).ToContainTextAsync("readme.txt");
        await TypeAsync("get readme.txt");
        await Expect(output).ToContainTextAsync("OK GET: 'readme.txt'");

        // Control: the commands and replies; data: the active-mode connection and the listing.
        await Expect(Page.GetByTestId("ftp-control")).ToContainTextAsync("> PORT 127,0,0,1,");
        await Expect(Page.GetByTestId("ftp-control")).ToContainTextAsync("< 226");
        await Expect(Page.GetByTestId("ftp-data")).ToContainTextAsync("(active)");
        await Expect(Page.GetByTestId("ftp-data")).ToContainTextAsync("readme.txt");
        // The file is now in the scratch folder, listed on the page.
        await Expect(Page.GetByTestId("ftp-scratch-row").Filter(new() { HasText = "readme.txt" })).ToHaveCountAsync(1);
        // And the server saw the transfer.
        await Expect(Page.GetByTestId("server-log")).ToContainTextAsync("active download");
    }
}
