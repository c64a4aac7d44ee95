# PowerShell completion for meshdev.
#   this session:   meshdev completion pwsh | Out-String | Invoke-Expression
#   every session:  add that line to $PROFILE
# meshdev answers itself (System.CommandLine's [suggest] directive), so completions follow its verbs and options and
# offer the service names of the manifest.
Register-ArgumentCompleter -Native -CommandName meshdev -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $line = $commandAst.ToString()
    $position = $cursorPosition - $commandAst.Extent.StartOffset
    if ($line.Length -lt $position) { $line = $line.PadRight($position) }
    $line = $line.Substring(0, $position)
    meshdev "[suggest:$position]" "$line" 2>$null | ForEach-Object {
        [System.Management.Automation.CompletionResult]::new($_, $_, 'ParameterValue', $_)
    }
}
