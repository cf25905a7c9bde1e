import reflex as rx

def index():
    return rx.heading("hola")

app = rx.App()
app.add_page(index, route="/")
