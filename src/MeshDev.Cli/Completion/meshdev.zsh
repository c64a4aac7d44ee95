#compdef meshdev
# zsh completion for meshdev.
#   this shell:   source <(meshdev completion zsh)       (after compinit)
#   every shell:  meshdev completion zsh > "${fpath[1]}/_meshdev"
# meshdev answers itself (System.CommandLine's [suggest] directive), so completions follow its verbs and options and
# offer the service names of the manifest.
_meshdev() {
  local line="${(j: :)words[1,CURRENT]}"
  local -a candidates
  candidates=("${(@f)$(meshdev "[suggest:${#line}]" "$line" 2>/dev/null)}")
  candidates=(${candidates:#})
  if (( ${#candidates} )); then
    compadd -- "${candidates[@]}"
  else
    _files
  fi
}

if [[ "${funcstack[1]}" == "_meshdev" ]]; then
  _meshdev "$@"
else
  compdef _meshdev meshdev
fi
