# bash completion for meshdev.
#   this shell:   source <(meshdev completion bash)
#   every shell:  meshdev completion bash > ~/.local/share/bash-completion/completions/meshdev
# meshdev answers itself (System.CommandLine's [suggest] directive), so completions follow its verbs and options and
# offer the service names of the manifest.
_meshdev_complete()
{
    local line="${COMP_LINE:0:COMP_POINT}"
    local IFS=$'\n'
    COMPREPLY=($(compgen -W "$(meshdev "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
}
complete -o default -F _meshdev_complete meshdev
