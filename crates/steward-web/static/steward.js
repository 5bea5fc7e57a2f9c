// Progressive enhancement only: every flow works without JavaScript.
import { initAll } from '/assets/nhsuk.min.js'
initAll()

// Redaction review: j/k move between proposals, a redacts and r discloses the one in focus.
// The buttons do the same without JavaScript.
const proposals = Array.from(document.querySelectorAll('[data-proposal]'))
if (proposals.length) {
  document.addEventListener('keydown', (e) => {
    const t = e.target
    if (e.ctrlKey || e.metaKey || e.altKey || (t && ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName))) return
    const current = proposals.findIndex((p) => p.contains(document.activeElement))
    const focus = (i) => {
      const p = proposals[Math.max(0, Math.min(proposals.length - 1, i))]
      p.focus()
      p.scrollIntoView({ block: 'center' })
    }
    if (e.key === 'j') {
      focus(current + 1)
      e.preventDefault()
    } else if (e.key === 'k') {
      focus(current - 1)
      e.preventDefault()
    } else if ((e.key === 'a' || e.key === 'r') && current >= 0) {
      const button = proposals[current].querySelector(`button[data-key="${e.key}"]`)
      if (button) {
        button.click()
        e.preventDefault()
      }
    }
  })
  // After a decision the page comes back at the next proposal: give it the focus.
  const target = location.hash && document.getElementById(location.hash.slice(1))
  if (target && target.dataset.proposal !== undefined) target.focus()
}
